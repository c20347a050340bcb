import { SendEmailCommand, SESv2Client, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-sesv2';
import type { FinalizeRequestMiddleware, Pluggable } from '@smithy/types';
import type { Email } from '../domain/email.ts';
import { DeliveryUncertainError } from '../domain/errors.ts';
import { transientErrors } from './aws-errors.ts';

/**
 * SES has no idempotency key: a try whose answer never came (no HTTP status: a reset or a timeout
 * after the request was written) may have sent the email. It becomes `DeliveryUncertainError`,
 * which the SDK's retry strategy does not retry and `sendOnce` counts as sent. An answer with a
 * status (a throttle, a 5xx) says nothing was sent, and is retried as before.
 */
function sentOrNot(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof DeliveryUncertainError) return e;
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined) return e;
  const code = (e as { code?: unknown }).code;
  const dropped = e.name === 'TimeoutError' || (typeof code === 'string' && /^E[A-Z]+$/.test(code));
  return dropped ? new DeliveryUncertainError(`SES: ${e.name}`) : e;
}

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
    // A dropped connection after the message was handed over: the SDK must not send it again (Faults).
    // Added last, so that it sits right inside the SDK's retry, outside anything a plugin adds there.
    const uncertain: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
      try {
        return await next(args);
      } catch (e) {
        throw sentOrNot(e);
      }
    };
    this.client.middlewareStack.addRelativeTo(uncertain, {
      relation: 'after',
      toMiddleware: 'retryMiddleware',
      name: 'privacyDeskDeliveryUncertain',
      override: true,
    });
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
