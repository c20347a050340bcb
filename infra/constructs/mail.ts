import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { mailDomain } from '../config.ts';
import type { Keys } from './keys.ts';

/** Events that need someone's attention: the address is bad, the recipient objected, or SES refused. */
export const MAIL_PROBLEM_EVENTS = [
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.RENDERING_FAILURE,
  ses.EmailSendingEvent.DELIVERY_DELAY,
];

export interface MailProps {
  stage: string;
  mailFrom: string;
  mailIdentity: 'create' | 'existing';
  keys: Keys;
}

/**
 * SES sending for the stage: a configuration set that requires TLS to the receiving server (the
 * emails carry single-use links), keeps SES's suppression list for bounces and complaints (a
 * patron's address that bounced or complained is not mailed again), publishes reputation metrics,
 * and sends every bounce, complaint, rejection and delay to an encrypted SNS topic (the event names
 * the recipient's address, so it goes nowhere else) and counts of every event to CloudWatch.
 * With mailIdentity=create the domain identity of mailFrom is created here, DKIM-signed, with the
 * configuration set as its default, so every send uses it without the application naming it.
 */
export class Mail extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  readonly configurationSetName: string;
  readonly events: sns.Topic;
  readonly identity?: ses.EmailIdentity;

  constructor(scope: Construct, id: string, props: MailProps) {
    super(scope, id);
    this.configurationSetName = `privacy-desk-${props.stage}`;
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.configurationSetName,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });

    this.events = new sns.Topic(this, 'Events', {
      topicName: `privacy-desk-${props.stage}-mail-events`,
      displayName: 'Privacy Desk: bounces, complaints and rejected mail',
      masterKey: props.keys.key,
      enforceSSL: true,
    });
    const { partition, region, account } = Stack.of(this);
    props.keys.allowTopicPublisher(
      'SesPublishesMailEvents',
      'ses.amazonaws.com',
      `arn:${partition}:ses:${region}:${account}:configuration-set/${this.configurationSetName}`,
    );

    // aws-cdk-lib adds the topic policy: ses.amazonaws.com may publish for this configuration set only.
    this.configurationSet.addEventDestination('ProblemsToTopic', {
      configurationSetEventDestinationName: 'problems-to-topic',
      destination: ses.EventDestination.snsTopic(this.events),
      events: MAIL_PROBLEM_EVENTS,
    });
    this.configurationSet.addEventDestination('CountsToCloudWatch', {
      configurationSetEventDestinationName: 'counts-to-cloudwatch',
      destination: ses.EventDestination.cloudWatchDimensions([
        {
          name: 'ses:configuration-set',
          source: ses.CloudWatchDimensionSource.MESSAGE_TAG,
          defaultValue: this.configurationSetName,
        },
      ]),
      events: [ses.EmailSendingEvent.SEND, ses.EmailSendingEvent.DELIVERY, ...MAIL_PROBLEM_EVENTS],
    });

    if (props.mailIdentity === 'create') {
      const domain = mailDomain(props.mailFrom);
      this.identity = new ses.EmailIdentity(this, 'Identity', {
        identity: ses.Identity.domain(domain),
        configurationSet: this.configurationSet,
        dkimSigning: true,
        dkimIdentity: ses.DkimIdentity.easyDkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
      });
      this.identity.dkimRecords.forEach((record, i) => {
        new CfnOutput(this, `DkimRecord${i + 1}`, {
          description: `DNS CNAME ${i + 1} of 3 that verifies ${domain} for SES (README, "SES identity")`,
          value: `${record.name} CNAME ${record.value}`,
        });
      });
    }
  }
}
