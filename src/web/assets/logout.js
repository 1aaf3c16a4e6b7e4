// The provider's "Sign out of Passless?" page (/session/end). The provider's form ends its own session; the
// Passless session (the cookie the provider cannot see) is ended first here, so signing out of an application
// also signs the browser out of Passless. Without script the form still submits and the server ends both.

const form = document.getElementById('logout-form');

form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  // form.submit() below sends no submitter, so the clicked button's name and value travel as a hidden field.
  const submitter = event.submitter;
  for (const button of form.querySelectorAll('button')) button.disabled = true;
  try {
    await fetch('/api/signout', {
      method: 'POST',
      credentials: 'same-origin',
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    // The provider's side of the sign-out still runs, and the server ends the Passless session there too.
  }
  if (submitter?.name) {
    const field = document.createElement('input');
    field.type = 'hidden';
    field.name = submitter.name;
    field.value = submitter.value;
    form.append(field);
  }
  form.submit();
});
