import { SendEmailCommand, SESv2Client, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-sesv2';
import type { Pluggable } from '@smithy/types';
import type { Email } from '../domain/email.ts';
import { transientErrors } from './aws-errors.ts';

export type { Email };

export interface Mailer {
  send(email: Email): Promise<{ messageId: string }>;
}

/** SES v2 in AWS; the same client against aws-ses-v2-local on this machine. */
export class SesMailer implements Mailer {
  private readonly client: SESv2Client;

  constructor(
    private readonly from: string,
    /** `plugins` are added after ours (the chaos run's fault injection, functions/lib/faults.ts). */
    opts: {
      endpoint?: string;
      region?: string;
      plugins?: readonly Pluggable<ServiceInputTypes, ServiceOutputTypes>[];
    } = {},
  ) {
    this.client = new SESv2Client({
      region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
      // The local SES only checks that an AWS-style Authorization header is present.
      ...(opts.endpoint
        ? { endpoint: opts.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    });
    // SES's TooManyRequestsException and its faults reach the workflow as TransientError (Faults).
    this.client.middlewareStack.use(transientErrors('SES'));
    for (const plugin of opts.plugins ?? []) this.client.middlewareStack.use(plugin);
  }

  async send(email: Email): Promise<{ messageId: string }> {
    const res = await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: email.to },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
          },
        },
      }),
    );
    return { messageId: res.MessageId ?? '' };
  }
}
