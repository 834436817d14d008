import { caseAccessFor, satisfies, type CaseRelation } from './case-access.js';

const own: CaseRelation = { ownAgency: true, share: null };
const sharedRead: CaseRelation = { ownAgency: false, share: 'read' };
const sharedContribute: CaseRelation = { ownAgency: false, share: 'contribute' };
const foreign: CaseRelation = { ownAgency: false, share: null };

describe('case access model', () => {
  it.each(['officer', 'clerk', 'examiner', 'prosecutor'] as const)(
    '%s contributes to own cases and gets what a share grants',
    (role) => {
      expect(caseAccessFor([role], own)).toBe('contribute');
      expect(caseAccessFor([role], sharedContribute)).toBe('contribute');
      expect(caseAccessFor([role], sharedRead)).toBe('read');
      expect(caseAccessFor([role], foreign)).toBeNull();
    },
  );

  it('auditors read, never contribute', () => {
    expect(caseAccessFor(['auditor'], own)).toBe('read');
    expect(caseAccessFor(['auditor'], sharedContribute)).toBe('read');
    expect(caseAccessFor(['auditor'], foreign)).toBeNull();
    expect(caseAccessFor(['auditor', 'examiner'], own)).toBe('contribute');
  });

  it('administrators see no case at all', () => {
    for (const relation of [own, sharedRead, sharedContribute, foreign])
      expect(caseAccessFor(['admin'], relation)).toBeNull();
  });

  it('orders read below contribute', () => {
    expect(satisfies('contribute', 'read')).toBe(true);
    expect(satisfies('read', 'read')).toBe(true);
    expect(satisfies('read', 'contribute')).toBe(false);
    expect(satisfies(null, 'read')).toBe(false);
  });
});
