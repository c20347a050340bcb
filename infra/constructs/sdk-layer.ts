import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { INFRA_FUNCTIONS_DIR } from '../paths.ts';
import { buildSdkLayer } from '../sdk-layer.ts';
import { SDK_LAYER_ESBUILD, sdkImports } from './service-function.ts';

/**
 * The AWS SDK, pre-bundled from the installed node_modules (the lock file's versions) into one
 * layer that every function has attached (infra/sdk-layer.ts). Built at synth, as the functions
 * are; a synth that skips bundling (the infra tests' unbundled runs) skips it too.
 */
export class SdkLayer extends Construct {
  readonly layer: lambda.LayerVersion;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const imports = sdkImports();
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      // The source folder is only what CDK stages when bundling is skipped; the asset is the
      // build's output, and its hash the output's (a new SDK version makes a new layer version).
      code: lambda.Code.fromAsset(INFRA_FUNCTIONS_DIR, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never used: the local build below always succeeds (esbuild is a dependency).
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
          local: {
            tryBundle: (outputDir: string) => {
              buildSdkLayer(outputDir, imports, SDK_LAYER_ESBUILD);
              return true;
            },
          },
        },
      }),
      compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
      compatibleArchitectures: [lambda.Architecture.ARM_64],
      description:
        'Privacy Desk: the AWS SDK modules the functions import, pre-bundled from package-lock.json (versions in nodejs/sdk/versions.json)',
    });
  }
}
