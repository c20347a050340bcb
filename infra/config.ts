import { z } from 'zod';

/**
 * Deployment settings, read from CDK context (`cdk synth -c stage=prod`, or cdk.json) and validated
 * once, so a typo fails the synth instead of reaching AWS. README "Deploying to AWS" lists them.
 */
export const configSchema = z
  .object({
    stage: z.enum(['dev', 'prod']).default('dev'),
    /** The SES identity mail is sent from (R7 links go out from here); its domain is the identity the stack creates. */
    mailFrom: z.email().default('privacy@library.example'),
    /**
     * `create`: the stack creates the SES domain identity of mailFrom (DKIM records are outputs) with
     * the configuration set as its default. `existing`: the identity is already verified in this
     * account and region; attach the configuration set to it by hand (README).
     */
    mailIdentity: z.enum(['create', 'existing']).default('create'),
    /** The site's own host name (privacy.library.org); needs certificateArn. Without it the site is https://<id>.cloudfront.net. */
    domainName: z
      .string()
      .regex(
        /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        'a lower-case host name such as privacy.library.org',
      )
      .optional(),
    /** ACM certificate for domainName; CloudFront takes certificates from us-east-1 only. */
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/, 'an ACM certificate ARN in us-east-1')
      .optional(),
    /** Where alarms are emailed (an SNS email subscription, confirmed by a link AWS sends). */
    alarmEmail: z.email().optional(),
    /** Staff sign-in (Cognito hosted UI) domain prefix; unique per region. Default: privacy-desk-<stage>-<account>. */
    authDomainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/)
      .refine((v) => !/aws|amazon|cognito/.test(v), 'may not contain aws, amazon or cognito')
      .optional(),
    /** After rotating the origin secret by hand: the new secret version id (README). */
    originSecretVersion: z
      .string()
      .regex(/^[A-Za-z0-9-]{32,64}$/)
      .optional(),
    /**
     * R19: the systems file (CONTRACT.md) the functions reach the library's systems by, relative to
     * the folder cdk runs in. Read and validated at synth; its secret names are Secrets Manager
     * secrets in this account and region. Unset: the built-in records table alone.
     */
    systemsFile: z.string().trim().min(1).optional(),
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/)
      .optional(),
  })
  .refine((c) => (c.domainName === undefined) === (c.certificateArn === undefined), {
    message: 'domainName and certificateArn go together',
    path: ['certificateArn'],
  });

export type InfraConfig = z.infer<typeof configSchema>;

export const CONFIG_KEYS = [
  'stage',
  'mailFrom',
  'mailIdentity',
  'domainName',
  'certificateArn',
  'alarmEmail',
  'authDomainPrefix',
  'originSecretVersion',
  'systemsFile',
  'account',
  'region',
] as const satisfies readonly (keyof InfraConfig)[];

/** Context keys that used to exist, with what replaced them: refused, so an old command line fails loudly. */
export const RETIRED_KEYS: Record<string, string> = {
  baseUrl:
    'the site origin is now https://<domainName> (with certificateArn), or the CloudFront domain when no domainName is set',
};

/** Where the WAF for CloudFront must live: AWS accepts CLOUDFRONT-scope web ACLs in us-east-1 only. */
export const EDGE_REGION = 'us-east-1';

/** Used when neither `-c region=` nor the AWS profile names one (an offline synth). */
export const DEFAULT_REGION = 'us-east-1';

/** The SES identities sending may use: the address itself and its domain (whichever is verified). */
export const sesIdentities = (mailFrom: string): string[] => {
  const domain = mailFrom.slice(mailFrom.lastIndexOf('@') + 1);
  return [mailFrom, domain];
};

export const mailDomain = (mailFrom: string): string => mailFrom.slice(mailFrom.lastIndexOf('@') + 1);
