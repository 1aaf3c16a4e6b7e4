// /oidc/interaction/{uid}: asks the server what the sign-in to an application needs next (docs/oidc.md), then
// goes there, or shows the consent, step-up or "pass sessions cannot do this" choice.

const base = window.location.pathname.replace(/\/+$/, '');
const $ = (id) => document.getElementById(id);

function show(id) {
  for (const step of ['step-consent', 'step-blocked', 'step-stepup']) $(step).hidden = step !== id;
}

function status(text) {
  $('interaction-status').textContent = text;
}

function fail(message) {
  status('');
  $('interaction-alert').textContent = message;
  $('interaction-alert').hidden = false;
}

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
  } catch {
    throw new Error("We couldn't reach the server. Check your connection and reload the page.");
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(answer?.error?.message || 'Something went wrong. Go back to the application and try again.');
  }
  return answer;
}

function go(location) {
  status('Returning to the application…');
  window.location.assign(location);
}

async function finish(path, body) {
  for (const button of document.querySelectorAll('button')) button.disabled = true;
  try {
    go((await post(path, body)).location);
  } catch (error) {
    fail(error.message);
  }
}

async function start() {
  let answer;
  try {
    answer = await post(base);
  } catch (error) {
    $('interaction-title').textContent = 'This sign-in cannot continue';
    fail(error.message);
    return;
  }
  const app = answer.application?.displayName ?? 'The application';
  switch (answer.action) {
    case 'redirect':
      go(answer.location);
      return;
    case 'signIn':
      if (answer.reason === 'signInRequired') {
        status('Taking you to sign in…');
        window.location.assign(answer.location);
        return;
      }
      $('interaction-title').textContent = `${app} needs a stronger sign-in`;
      $('stepup-detail').textContent = answer.detail;
      $('stepup-signin').href = answer.location;
      status('');
      show('step-stepup');
      return;
    case 'blocked':
      $('interaction-title').textContent = `You can't sign in to ${app} yet`;
      $('blocked-detail').textContent = answer.detail;
      status('');
      show('step-blocked');
      return;
    case 'consent': {
      $('interaction-title').textContent = `Allow ${app} to access your account?`;
      $('consent-app').textContent = app;
      const list = $('consent-scopes');
      list.replaceChildren(
        ...answer.scopes.map((scope) => {
          const item = document.createElement('li');
          item.className = 'scope-item';
          item.textContent = scope.description;
          item.title = scope.name;
          return item;
        }),
      );
      status('');
      show('step-consent');
      return;
    }
    default:
      fail('Unexpected answer from the server. Reload the page.');
  }
}

$('consent-accept').addEventListener('click', () => finish(`${base}/consent`, { decision: 'accept' }));
$('consent-deny').addEventListener('click', () => finish(`${base}/consent`, { decision: 'deny' }));
$('blocked-cancel').addEventListener('click', () => finish(`${base}/abort`));
$('stepup-cancel').addEventListener('click', () => finish(`${base}/abort`));
start();
