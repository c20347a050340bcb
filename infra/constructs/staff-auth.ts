import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { STAFF_ROLES, type StaffRole } from '../../functions/domain/staff.ts';

/** What each group may do (the handler checks the group; the JWT authorizer checks the token). */
const GROUP_DESCRIPTIONS: Record<StaffRole, string> = {
  counsel: 'Legal counsel: uploads and submits court orders, releases legal holds (R12, R13)',
  'privacy-officer': 'Privacy officer: approves disclosures and deletions, reads the staff queue and audit trail',
  director: 'Library director: second approver of court-order disclosures (R12)',
  circulation: 'Circulation desk: in-person verification and desk tasks (R4, R7)',
};

/** The staff password rule: AwsSolutions-COG1 asks for at least 8 with every class; staff accounts get 14. */
export const STAFF_PASSWORD_POLICY = {
  minLength: 14,
  requireLowercase: true,
  requireUppercase: true,
  requireDigits: true,
  requireSymbols: true,
  tempPasswordValidity: Duration.days(3),
  passwordHistorySize: 5,
} as const;

export interface StaffAuthProps {
  stage: string;
  removalPolicy: RemovalPolicy;
  /** prod: the pool cannot be deleted by accident (Cognito deletion protection). */
  protect: boolean;
  /** The site's origin: the sign-in page returns there. */
  siteOrigin: string;
  /** Hosted sign-in domain prefix; unique per region. */
  domainPrefix?: string;
}

/**
 * Staff sign-in (R12: counsel uploads court orders signed in). A Cognito user pool whose groups are
 * the staff roles: accounts made by an administrator only (no self sign-up), MFA required (TOTP),
 * a strong password rule, and threat protection enforced (Plus plan). The web client is public
 * (no secret; authorisation code with PKCE), its ID token names the person and their groups.
 */
export class StaffAuth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  readonly groups: Record<StaffRole, cognito.CfnUserPoolGroup>;

  constructor(scope: Construct, id: string, props: StaffAuthProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'StaffPool', {
      userPoolName: `privacy-desk-${props.stage}-staff`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      mfa: cognito.Mfa.REQUIRED,
      // TOTP only: SMS codes can be intercepted (SIM swap) and need an SNS sending role.
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: STAFF_PASSWORD_POLICY,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Plus: threat protection (compromised credentials, risky sign-ins blocked). Billed per monthly
      // active user; a library's few staff cost cents (README, "What it costs").
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      userInvitation: {
        emailSubject: 'Your Privacy Desk staff account',
        emailBody:
          'An administrator made you a Privacy Desk staff account. Sign in with {username} and the temporary password {####} within 3 days; you will choose a new password and set up an authenticator app.',
      },
      deletionProtection: props.protect,
      removalPolicy: props.removalPolicy,
    });

    this.groups = Object.fromEntries(
      STAFF_ROLES.map((role, precedence) => [
        role,
        new cognito.CfnUserPoolGroup(this, `Group-${role}`, {
          userPoolId: this.userPool.userPoolId,
          groupName: role,
          description: GROUP_DESCRIPTIONS[role],
          precedence,
        }),
      ]),
    ) as Record<StaffRole, cognito.CfnUserPoolGroup>;

    this.client = this.userPool.addClient('WebClient', {
      userPoolClientName: 'privacy-desk-web',
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [
          `${props.siteOrigin}/counsel.html`,
          `${props.siteOrigin}/staff.html`,
          // R12: staff approvals are decided signed in, from the page the emailed link opens.
          `${props.siteOrigin}/approval.html`,
        ],
        logoutUrls: [`${props.siteOrigin}/`],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      // R12: staff are named by email in decisions and the audit trail: a signed-in person may not
      // change theirs through this client (only an administrator, in the user pool, can).
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ locale: true }),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      // A working day; then sign in again (with MFA).
      refreshTokenValidity: Duration.hours(10),
    });

    this.domain = this.userPool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `privacy-desk-${props.stage}-${Aws.ACCOUNT_ID}` },
    });
    this.domain.applyRemovalPolicy(RemovalPolicy.DESTROY);
  }

  /** The issuer the JWT authorizer trusts. */
  get issuer(): string {
    return this.userPool.userPoolProviderUrl;
  }

  /** The hosted sign-in page's origin, for the site's Content-Security-Policy. */
  get signInOrigin(): string {
    return this.domain.baseUrl();
  }
}
