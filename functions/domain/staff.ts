/** Staff roles (CONTRACT.md); in AWS they are the Cognito groups. */
export const STAFF_ROLES = ['privacy-officer', 'director', 'counsel', 'circulation'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Court orders are seen only by the roles that handle them (R1, R12: need to know; R3, R13a). */
export const COURT_ORDER_ROLES: readonly StaffRole[] = ['privacy-officer', 'director', 'counsel'];

export const maySeeCourtOrders = (roles: readonly StaffRole[]): boolean =>
  roles.some((r) => COURT_ORDER_ROLES.includes(r));
