import { buildApp } from './build-app.ts';

// The CDK CLI runs this (cdk.json "app"); context and the output folder arrive through the environment.
const { app } = buildApp({ processEnv: process.env });
app.synth();
