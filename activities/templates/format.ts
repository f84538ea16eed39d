// Dates, amounts and durations as a reader of the email writes them: "1 mars 2027", "1 500 000 kr",
// "14 dagar" in Swedish; "1 March 2027", "SEK 1,500,000", "14 days" in English. Calendar in Europe/Stockholm.
import type { Language } from '../../workflows/types';

const ZONE = 'Europe/Stockholm';
const LOCALE: Record<Language, string> = { sv: 'sv-SE', en: 'en-GB' };

const dates = {
  sv: new Intl.DateTimeFormat(LOCALE.sv, { day: 'numeric', month: 'long', year: 'numeric', timeZone: ZONE }),
  en: new Intl.DateTimeFormat(LOCALE.en, { day: 'numeric', month: 'long', year: 'numeric', timeZone: ZONE }),
};
const times = {
  sv: new Intl.DateTimeFormat(LOCALE.sv, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: ZONE }),
  en: new Intl.DateTimeFormat(LOCALE.en, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: ZONE }),
};

/** A calendar date (YYYY-MM-DD, taken as is) or an instant (its date in Stockholm). */
export function formatDate(value: string, language: Language): string {
  const instant = toInstant(value);
  return instant ? dates[language].format(instant) : value;
}

export function formatDateTime(value: string, language: Language): string {
  const instant = toInstant(value);
  if (!instant) return value;
  return `${dates[language].format(instant)} ${language === 'sv' ? 'kl.' : 'at'} ${times[language].format(instant)}`;
}

function toInstant(value: string): Date | undefined {
  // Noon UTC is the same calendar day in Stockholm, summer or winter.
  const instant = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T12:00:00Z` : value);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

export function formatAmount(sek: number, language: Language): string {
  const n = new Intl.NumberFormat(LOCALE[language], { maximumFractionDigits: 0 }).format(sek);
  return language === 'sv' ? `${n} kr` : `SEK ${n}`;
}

const UNITS: { sv: [string, string]; en: [string, string] }[] = [
  { sv: ['år', 'år'], en: ['year', 'years'] },
  { sv: ['månad', 'månader'], en: ['month', 'months'] },
  { sv: ['vecka', 'veckor'], en: ['week', 'weeks'] },
  { sv: ['dag', 'dagar'], en: ['day', 'days'] },
  { sv: ['timme', 'timmar'], en: ['hour', 'hours'] },
  { sv: ['minut', 'minuter'], en: ['minute', 'minutes'] },
  { sv: ['sekund', 'sekunder'], en: ['second', 'seconds'] },
];

/** An ISO 8601 duration in words ("P14D" → "14 dagar"); undefined when it is not one. */
export function formatDuration(iso: string, language: Language): string | undefined {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m) return undefined;
  const parts = UNITS.flatMap((unit, i) => {
    const n = Number(m[i + 1] ?? 0);
    return n > 0 ? [`${n} ${unit[language][n === 1 ? 0 : 1]}`] : [];
  });
  if (parts.length === 0) return undefined;
  const and = language === 'sv' ? 'och' : 'and';
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} ${and} ${parts[parts.length - 1]}`;
}
