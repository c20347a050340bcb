/** Staff roles (CONTRACT.md); in AWS they are the Cognito groups. */
export const STAFF_ROLES = ['privacy-officer', 'director', 'counsel', 'circulation'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Court orders are seen only by the roles that handle them (R1, R12: need to know; R3, R13a). */
export const COURT_ORDER_ROLES: readonly StaffRole[] = ['privacy-officer', 'director', 'counsel'];

export const maySeeCourtOrders = (roles: readonly StaffRole[]): boolean =>
  roles.some((r) => COURT_ORDER_ROLES.includes(r));

/** What a signed-in staff member may do on the desk besides reading (R1: need to know, by role). */
export const STAFF_ACTIONS = ['extend-deadline', 'desk-request', 'second-approval', 'hand-over'] as const;
export type StaffAction = (typeof STAFF_ACTIONS)[number];

/**
 * R1, R12 (separation of duties): who may take each action.
 * - A deadline extension (R15) tells the requester the library needs more time: the privacy
 *   officer's call, or the director's above them; circulation works the queue but does not move it.
 * - A desk request (R4) is made by whoever is at the desk with the person: circulation, the privacy
 *   officer, the director. Counsel does not serve patrons at the desk.
 * - The second staff member on a desk export, access report or contact change (R4, R6), and the
 *   hand-over of a printed file (R1, R17): the same desk roles; the second must be another person.
 */
export const STAFF_ACTION_ROLES: Readonly<Record<StaffAction, readonly StaffRole[]>> = {
  'extend-deadline': ['privacy-officer', 'director'],
  'desk-request': ['privacy-officer', 'director', 'circulation'],
  'second-approval': ['privacy-officer', 'director', 'circulation'],
  'hand-over': ['privacy-officer', 'director', 'circulation'],
};

export const mayTake = (roles: readonly StaffRole[], action: StaffAction): boolean =>
  roles.some((r) => STAFF_ACTION_ROLES[action].includes(r));

/** The actions these roles may take, for the desk page to offer only those. */
export const actionsOf = (roles: readonly StaffRole[]): StaffAction[] => STAFF_ACTIONS.filter((a) => mayTake(roles, a));
