import { z } from 'zod';

/**
 * Deployment settings, read from CDK context (`cdk synth -c stage=prod`, or cdk.json) and validated
 * once, so a typo fails the synth instead of reaching AWS.
 */
export const configSchema = z.object({
  stage: z.enum(['dev', 'prod']).default('dev'),
  /** The SES identity mail is sent from (R7 links go out from here). */
  mailFrom: z.email().default('privacy@library.example'),
  /** Origin of the links inside emails. Not the API URL: that would make the stack depend on itself. */
  baseUrl: z.url().default('https://privacy.library.example'),
  account: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/)
    .optional(),
});

export type InfraConfig = z.infer<typeof configSchema>;

export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof InfraConfig)[];

/** The SES identity ARNs sending may use: the address itself and its domain (whichever is verified). */
export const sesIdentities = (mailFrom: string): string[] => {
  const domain = mailFrom.slice(mailFrom.lastIndexOf('@') + 1);
  return [mailFrom, domain];
};
