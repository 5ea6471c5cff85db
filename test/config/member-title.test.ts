import { describe, expect, it } from 'vitest';
import { memberSchema } from '../../agent/config/schema-reporting.js';

const sara = { name: { ar: 'سارة العتيبي', en: 'Sara Alotaibi' }, role: 'manager', mobile: '+966500000001', email: 'sara@moh.example.sa' };

describe('a crisis-team member title', () => {
  it('is taken in both languages as configured', () => {
    const m = memberSchema.parse({ ...sara, title: { ar: 'مديرة فريق إدارة الأزمات', en: 'Crisis Management Team Manager' } });
    expect(m.title).toEqual({ ar: 'مديرة فريق إدارة الأزمات', en: 'Crisis Management Team Manager' });
  });

  it('is optional: without it the role gives the title', () => {
    expect(memberSchema.parse(sara).title).toBeUndefined();
  });

  it('is refused with a clear message when a language is missing or empty', () => {
    const missing = memberSchema.safeParse({ ...sara, title: { ar: 'مديرة فريق إدارة الأزمات' } });
    expect(missing.success).toBe(false);
    expect(missing.error!.issues[0]).toMatchObject({ path: ['title', 'en'], message: 'expected the title in English' });
    const empty = memberSchema.safeParse({ ...sara, title: { ar: '', en: 'Lead' } });
    expect(empty.error!.issues[0]).toMatchObject({ path: ['title', 'ar'], message: 'must not be empty' });
  });
});
