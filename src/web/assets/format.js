// Dates, durations and relative hints in the browser's locale.

import { h } from './ui.js';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeWithZone = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZoneName: 'short',
});
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function toDate(value) {
  if (value === null || value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(value) {
  const d = toDate(value);
  return d ? dateTime.format(d) : '—';
}

export function formatDate(value) {
  const d = toDate(value);
  return d ? dateOnly.format(d) : '—';
}

/** Long form with weekday and time zone, for messages sent to other people. */
export function formatDateTimeLong(value) {
  const d = toDate(value);
  return d ? dateTimeWithZone.format(d) : '—';
}

const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "in 52 minutes", "3 hours ago", "now". */
export function formatRelative(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return '';
  const seconds = (d.getTime() - now) / 1000;
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(0, 'second');
  for (const [unit, size] of UNITS) {
    if (abs >= size * 0.95 || unit === 'minute') {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return '';
}

/** 90 → "1 hour 30 minutes", 480 → "8 hours", 2880 → "2 days". */
export function formatMinutes(totalMinutes) {
  const minutes = Math.round(Number(totalMinutes));
  if (!Number.isFinite(minutes) || minutes < 0) return '';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [];
  if (days) parts.push(`${days} ${days === 1 ? 'day' : 'days'}`);
  if (hours) parts.push(`${hours} ${hours === 1 ? 'hour' : 'hours'}`);
  if (mins || parts.length === 0) parts.push(`${mins} ${mins === 1 ? 'minute' : 'minutes'}`);
  return parts.join(' ');
}

/**
 * A <time> element showing a local date/time in the browser's locale.
 */
export function timeElement(value, { dateOnlyFormat = false } = {}) {
  const d = toDate(value);
  if (!d) return h('span', {}, '—');
  return h(
    'time',
    { datetime: d.toISOString(), title: formatDateTimeLong(d) },
    dateOnlyFormat ? formatDate(d) : formatDateTime(d),
  );
}

function updateRelative(el) {
  const d = toDate(el.dataset.relative);
  if (!d) return;
  const future = d.getTime() > Date.now();
  const word = future ? el.dataset.future : el.dataset.past;
  const text = formatRelative(d);
  el.textContent = el.dataset.bare ? `${word ? `${word} ` : ''}${text}` : `(${word ? `${word} ` : ''}${text})`;
}

/**
 * A relative hint that keeps itself up to date, e.g.
 * relativeHint(end, {future: 'expires', past: 'expired'}) → "(expires in 52 minutes)".
 */
export function relativeHint(value, { future = '', past = '', bare = false } = {}) {
  const d = toDate(value);
  if (!d) return null;
  const el = h('span', {
    class: 'relative',
    dataset: { relative: d.toISOString(), future, past, ...(bare ? { bare: '1' } : {}) },
  });
  updateRelative(el);
  return el;
}

setInterval(() => {
  for (const el of document.querySelectorAll('[data-relative]')) updateRelative(el);
}, 30_000);

/** Start and end of a Temporary Access Pass. */
export function tapWindow(method) {
  const start = toDate(method.startDateTime) ?? toDate(method.createdDateTime);
  const lifetime = Number(method.lifetimeInMinutes);
  const end = start && Number.isFinite(lifetime) ? new Date(start.getTime() + lifetime * 60_000) : null;
  return { start, end };
}

/** Value for <input type="datetime-local"> from a Date, in local time. */
export function toLocalInputValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
