/** Staff roles (CONTRACT.md); in AWS they are the Cognito groups. */
export const STAFF_ROLES = ['privacy-officer', 'director', 'counsel', 'circulation'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
