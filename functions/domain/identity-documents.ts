/** R4: staff record what kind of document they saw, never the document or its number. */
export const DOCUMENT_KINDS = {
  'photo-id': 'Government photo ID (driver licence, state ID, passport)',
  'library-card-and-photo-id': 'Library card and photo ID',
  // The library's policy names school verification among the ways a card is issued.
  'school-id': 'School or student ID with photo',
  'known-to-staff': 'Known to staff, with the card on file',
} as const;

/** R11: the documents that show an adult is responsible for a child; the kind is kept, never the document. */
export const RELATIONSHIP_DOCUMENTS = {
  'birth-certificate': "Child's birth certificate naming the adult as parent",
  'adoption-or-guardianship-order': 'Adoption papers or a court guardianship order',
  'other-court-order': 'Another court order naming the adult as responsible for the child',
} as const;
