/** An email as the render functions make it and a mailer sends it: text and HTML, nothing else. */
export interface Email {
  to: string[];
  subject: string;
  text: string;
  html: string;
}
