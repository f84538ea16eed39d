// Planning a step's emails: who gets each template, in which language, and what it says.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { loadConfig } from '../../config';
import { createEmailPlanner, messageId } from '../../activities/notifications';
import { loadTemplates, TEMPLATES, LANGUAGES } from '../../activities/templates/render';
import { organisations } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import type { NotificationIntent, Report } from '../../workflows/types';
import { freshDatabase, type TestDatabase } from '../support/db';
import { actors, application, CaseStory } from '../support/steps';

const LINK_BASE = 'https://projekt.stockholm.se/arenden/';
const mail = loadConfig({ CASE_LINK_BASE: LINK_BASE, OFFICE_EMAIL: 'projektkontoret@stockholm.se' }).mail;
const plan = createEmailPlanner({ mail });

let database: TestDatabase;
beforeAll(async () => {
  database = await freshDatabase();
  await seedReferenceData(database.db);
});
afterAll(() => database.close());

describe('recipients and language', () => {
  const everyone: NotificationIntent[] = [
    { template: 'status-changed', to: 'applicant' },
    { template: 'report-escalated', to: 'officers', data: { reportId: 'r1' } },
    { template: 'case-arrived', to: 'preparers', data: { step: 'preparation' } },
    { template: 'case-arrived', to: 'valuers', data: { step: 'valuation' } },
    { template: 'case-arrived', to: 'council', data: { step: 'council' } },
    { template: 'case-arrived', to: 'budget', data: { step: 'budget' } },
    { template: 'case-arrived', to: 'decider:stadsdirektor', data: { step: 'decision' } },
    { template: 'effect-report-received', to: 'council', data: { reportId: 'r1' } },
  ];

  it('sends each audience its address: the contact, the office, the roles and the decider tier', async () => {
    const story = new CaseStory('PK-2026-0101', { language: 'en', stage: 'execution', reports: [report()] });
    const drafts = await plan(database.db, story.step('assign', { notifications: everyone }));
    expect(drafts.map((d) => [d.template, d.recipient, d.language])).toEqual([
      ['status-changed', actors.applicant.email, 'en'],
      ['report-escalated', 'projektkontoret@stockholm.se', 'sv'],
      ['case-arrived', 'beredning@stockholm.se', 'sv'],
      ['case-arrived', 'nyttovardering@stockholm.se', 'sv'],
      ['case-arrived', 'utvecklingsradet@stockholm.se', 'sv'],
      ['case-arrived', 'budgetledningen@stockholm.se', 'sv'],
      ['case-arrived', 'beslut+stadsdirektor@stockholm.se', 'sv'],
      ['effect-report-received', 'utvecklingsradet@stockholm.se', 'sv'],
    ]);
  });

  it('takes role addresses from ROLE_EMAILS, a tier of its own before the decider pattern', async () => {
    const configured = loadConfig({ ROLE_EMAILS: JSON.stringify({ council: 'ur@stockholm.se', 'decider:ks-ekonomiutskott': 'ksau@stockholm.se' }) }).mail;
    const story = new CaseStory('PK-2026-0102');
    const drafts = await createEmailPlanner({ mail: configured })(database.db, story.step('assign', {
      notifications: [
        { template: 'case-arrived', to: 'council', data: { step: 'council' } },
        { template: 'case-arrived', to: 'decider:ks-ekonomiutskott', data: { step: 'decision' } },
        { template: 'case-arrived', to: 'decider:borgarrad', data: { step: 'decision' } },
        { template: 'case-arrived', to: 'preparers', data: { step: 'preparation' } },
      ],
    }));
    expect(drafts.map((d) => d.recipient)).toEqual(['ur@stockholm.se', 'ksau@stockholm.se', 'beslut+borgarrad@stockholm.se', 'beredning@stockholm.se']);
  });

  it("writes to the organisation's address when the case has no contact email, and to nobody when neither exists", async () => {
    const noContact = new CaseStory('PK-2026-0103');
    noContact.view = { ...noContact.view, idea: { ...noContact.view.idea, contact: { name: 'Anna Berg' } } };
    const [toOrganisation] = await plan(database.db, noContact.step('assign', { notifications: [{ template: 'status-changed', to: 'applicant' }] }));
    expect(toOrganisation.recipient).toBe('utbildning@stockholm.example');

    await database.db.insert(organisations).values({ id: 'utan-adress', name: 'Förvaltning utan adress', type: 'forvaltning' });
    const nobody = new CaseStory('PK-2026-0104', { organisation: 'utan-adress' });
    nobody.view = { ...nobody.view, idea: { ...nobody.view.idea, contact: undefined } };
    const drafts = await plan(database.db, nobody.step('assign', {
      notifications: [{ template: 'status-changed', to: 'applicant' }, { template: 'case-arrived', to: 'officers', data: { step: 'screening' } }],
    }));
    expect(drafts.map((d) => d.recipient)).toEqual(['projektkontoret@stockholm.se']);
    await database.db.delete(organisations).where(eq(organisations.id, 'utan-adress'));
  });

  it('plans nothing for an internal move, and only the role for a move the applicant cannot see', async () => {
    const story = new CaseStory('PK-2026-0105');
    story.started();
    expect(await plan(database.db, story.resolveDoubleCount('utbildning:forskola', 'keep'))).toEqual([]);
    const drafts = await plan(database.db, story.step('assign', {
      actor: actors.officer, notifications: [{ template: 'case-arrived', to: 'preparers', data: { step: 'preparation' } }],
    }));
    expect(drafts.map((d) => d.recipient)).toEqual(['beredning@stockholm.se']);
  });

  it('gives each draft a deterministic Message-ID that holds no address, and one draft per template and address', async () => {
    const story = new CaseStory('PK-2026-0106');
    const step = story.step('assign', {
      notifications: [
        { template: 'case-arrived', to: 'officers', data: { step: 'closure' } },
        { template: 'case-arrived', to: 'officers', data: { step: 'double-count', keys: ['k'] } },
      ],
    });
    const drafts = await plan(database.db, step);
    expect(drafts).toHaveLength(1);
    expect(drafts[0].messageId).toBe(messageId('PK-2026-0106', 1, 'case-arrived', 'projektkontoret@stockholm.se'));
    expect(drafts[0].messageId).toMatch(/^<PK-2026-0106\.1\.case-arrived\.[0-9a-f]{16}@projektkontoret>$/);
    expect((await plan(database.db, step))[0].messageId).toBe(drafts[0].messageId);
  });
});

describe('what the emails say', () => {
  it('a Swedish receipt: case number and title in the subject, what happens next, how long it takes, the link', async () => {
    const story = new CaseStory('PK-2026-0001');
    const [receipt, officers] = await plan(database.db, story.step('case-started', {
      actor: actors.applicant,
      notifications: [
        { template: 'receipt', to: 'applicant', data: { what: 'idea', screeningDeadline: 'P14D' } },
        { template: 'case-arrived', to: 'officers', data: { step: 'screening' } },
      ],
    }));
    expect(receipt.subject).toBe('[PK-2026-0001] Digital ansökan till förskola – Mottagen: idéskiss');
    expect(receipt.language).toBe('sv');
    // 09:00 UTC is 10:00 in Stockholm in February.
    expect(receipt.text).toContain('Vi har tagit emot er idéskiss i ärende PK-2026-0001 ”Digital ansökan till förskola” den 2 februari 2026 kl. 10:00.');
    expect(receipt.text).toContain('Projektkontoret granskar idéskissen');
    expect(receipt.text).toContain('Det tar normalt högst 14 dagar.');
    expect(receipt.text).toContain(`${LINK_BASE}PK-2026-0001`);
    expect(receipt.html).toContain(`<a href="${LINK_BASE}PK-2026-0001">`);
    expect(receipt.html).toContain('Det tar normalt högst 14 dagar.');
    expect(officers.subject).toBe('[PK-2026-0001] Digital ansökan till förskola – Väntar på er: granskning av idéskissen');
    expect(officers.text).toContain('från Utbildningsförvaltningen');
  });

  it('an application receipt without a known handling time says so plainly', async () => {
    const story = new CaseStory('PK-2026-0002');
    story.started();
    story.screen('approve');
    const step = story.submitApplication();
    const [receipt, preparers] = await plan(database.db, step);
    expect(receipt.subject).toBe('[PK-2026-0002] Digital ansökan till förskola – Mottagen: ansökan');
    expect(receipt.text).toContain('beredningsgrupp (beredning)');
    expect(receipt.text).toContain('Hur lång tid det tar beror på ärendet.');
    expect(preparers.text).toContain('Portfölj: Tillgänglighet och service för medborgare, företagande och besök');
    expect(preparers.text).toContain('Sökt belopp (hela projektet): 3\u00a0000\u00a0000 kr');
  });

  it('an English status change lists what is missing and the due date, in both parts', async () => {
    const story = new CaseStory('PK-2026-0003', { language: 'en' });
    const [email] = await plan(database.db, story.step('request-completion', {
      view: { stage: 'completion', applicantStatus: { code: 'completion-requested', text: { sv: 'Väntar på komplettering från er', en: 'Awaiting your completion' } } },
      notifications: [{ template: 'status-changed', to: 'applicant', data: { missing: ['Nyttokalkyl för år 2', 'Ägarens <underskrift>'], dueDate: '2027-03-01' } }],
    }));
    expect(email.language).toBe('en');
    expect(email.subject).toBe('[PK-2026-0003] Digital ansökan till förskola – Awaiting your completion');
    expect(email.text).toContain('Please complete the following:\n- Nyttokalkyl för år 2\n- Ägarens <underskrift>\n');
    expect(email.text).toContain('Due date: 1 March 2027.');
    expect(email.html).toContain('<ul><li>Nyttokalkyl för år 2</li><li>Ägarens &lt;underskrift&gt;</li></ul>');
    expect(email.html).toContain('<strong>1 March 2027</strong>');
    expect(email.html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
  });

  it('dates are Swedish dates in Stockholm: an instant just before midnight UTC is the next day', async () => {
    const story = new CaseStory('PK-2026-0004', { stage: 'execution', reports: [report({ dueDate: '2026-07-01', dueAt: '2026-06-30T22:30:00.000Z' })] });
    const [reminder, overdue] = await plan(database.db, story.step('reminder', {
      notifications: [
        { template: 'reminder', to: 'applicant', data: { what: 'application', dueDate: '2026-06-30T22:30:00.000Z' } },
        { template: 'overdue', to: 'applicant', data: { what: 'report', reportId: 'r1' } },
      ],
    }));
    expect(reminder.subject).toBe('[PK-2026-0004] Digital ansökan till förskola – Påminnelse: ansökan senast 1 juli 2026');
    expect(overdue.subject).toBe('[PK-2026-0004] Digital ansökan till förskola – Försenad sexveckorsrapport');
    expect(overdue.text).toContain('skulle ha lämnats senast 1 juli 2026');
    expect(overdue.text).toContain('Rapporten avser perioden 1 juni 2026 – 13 juli 2026.');
  });

  it('a rejection tells the reason; a title with markup is escaped in HTML and kept on one line in the subject', async () => {
    const story = new CaseStory('PK-2026-0005', { title: 'Ny <e-tjänst> & "app"\nför skolan' });
    story.started();
    const [email] = await plan(database.db, story.screen('reject', 'Ryms i förvaltningens egen budget.'));
    expect(email.subject).toBe('[PK-2026-0005] Ny <e-tjänst> & "app" för skolan – Avslagen');
    expect(email.text).toContain('Motivering: Ryms i förvaltningens egen budget.');
    expect(email.html).toContain('Ny &lt;e-tjänst&gt; &amp; &quot;app&quot;');
    expect(email.html).not.toContain('<e-tjänst>');
  });

  it('officers hear of deviations with the reasons, deciders of the amount to decide', async () => {
    const story = new CaseStory('PK-2026-0006', { stage: 'execution', reports: [report()], application: { ...application(), submittedAt: '2026-02-03T09:00:00Z', round: 1 } });
    story.view.changeRequests = [{ id: 'cr1', requestedBy: 'anna', requestedAt: '2026-08-01T09:00:00Z', reason: 'Dyrare', newTotalCost: 3_600_000, tier: 'stadsdirektor', status: 'open' }];
    const [deviation, decider] = await plan(database.db, story.step('submit-report', {
      notifications: [
        { template: 'deviation', to: 'officers', data: { reportId: 'r1', reasons: ['cost: forecast 3600000 SEK exceeds the grant 2800000 SEK by more than 10 %'] } },
        { template: 'case-arrived', to: 'decider:stadsdirektor', data: { step: 'change-decision', changeRequestId: 'cr1' } },
      ],
    }));
    expect(deviation.subject).toBe('[PK-2026-0006] Digital ansökan till förskola – Avvikelse i sexveckorsrapport');
    expect(deviation.text).toContain('- cost: forecast 3600000 SEK exceeds the grant 2800000 SEK by more than 10 %');
    expect(decider.subject).toBe('[PK-2026-0006] Digital ansökan till förskola – Väntar på er: beslut om ändringsbegäran');
    expect(decider.text).toContain('Nytt totalbelopp enligt ändringsbegäran: 3\u00a0600\u00a0000 kr');
  });

  it('every template renders in Swedish and English with a subject, a text part and an HTML part', () => {
    const templates = loadTemplates();
    for (const template of TEMPLATES) {
      for (const language of LANGUAGES) {
        const email = templates.render(template, language, {
          caseNumber: 'PK-2026-0042', title: 'Titel', link: `${LINK_BASE}PK-2026-0042`, status: 'Mottagen', organisation: 'Stokab AB',
          what: 'rapport', next: 'Nästa steg.', receivedAt: '1 mars 2027 kl. 10:00', createdAt: '1 mars 2027 kl. 10:00', dueDate: '1 mars 2027',
          reasons: ['orsak'], step: 'beslut', failures: ['kvitto (a@b): 550'],
        });
        expect(email.subject).toMatch(/^\[PK-2026-0042\] Titel – \S/);
        expect(email.text).toContain(`${LINK_BASE}PK-2026-0042`);
        expect(email.html).toContain(`href="${LINK_BASE}PK-2026-0042"`);
        expect(`${email.subject}${email.text}${email.html}`).not.toMatch(/\{\{|\}\}/);
      }
    }
  });
});

describe('template files', () => {
  it('a template naming an unknown value stops loading', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-'));
    try {
      const source = path.dirname(require.resolve('../../activities/templates/render'));
      for (const file of fs.readdirSync(source).filter((f) => !f.endsWith('.ts'))) fs.copyFileSync(path.join(source, file), path.join(dir, file));
      fs.appendFileSync(path.join(dir, 'overdue.en.html'), '<p>{{dueDat}}</p>');
      expect(() => loadTemplates(dir)).toThrow('overdue.en.html: unknown value {{dueDat}}');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an intent short of data still gives an email, with a gap instead of an error', async () => {
    const story = new CaseStory('PK-2026-0007');
    const [email] = await plan(database.db, story.step('reminder', { notifications: [{ template: 'reminder', to: 'applicant', data: { what: 'application' } }] }));
    expect(email.subject).toBe('[PK-2026-0007] Digital ansökan till förskola – Påminnelse: ansökan senast');
  });
});

describe('ROLE_EMAILS', () => {
  it('refuses an unknown audience or a value that is not an address, naming the variable', () => {
    expect(() => loadConfig({ ROLE_EMAILS: '{"councel":"ur@stockholm.se"}' })).toThrow(/ROLE_EMAILS\.councel: not an audience/);
    expect(() => loadConfig({ ROLE_EMAILS: '{"council":"utvecklingsrådet"}' })).toThrow(/ROLE_EMAILS\.council: must be an email address/);
    expect(() => loadConfig({ ROLE_EMAILS: 'council=ur@stockholm.se' })).toThrow(/ROLE_EMAILS: must be a JSON object/);
  });
});

function report(over: Partial<Report> = {}): Report {
  return {
    id: 'r1', type: 'sixWeek', periodStart: '2026-06-01', periodEnd: '2026-07-13', dueDate: '2026-07-13', dueAt: '2026-07-13T21:59:59.999Z', status: 'due', ...over,
  };
}
