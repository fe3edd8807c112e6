// Manages hooks and access tokens with gitbeaker (@gitbeaker/rest), unmodified, and prints what each call answered
// as one JSON object: {step: {ok: answer} | {error: {status, body}}}. Configuration comes from the environment:
// HOOKLINE_API_URL, HOOKLINE_TOKEN, HOOKLINE_RECEIVER_URL, HOOKLINE_PROJECT, HOOKLINE_GROUP.
import { Gitlab } from '@gitbeaker/rest';

const env = process.env;
const api = new Gitlab({ host: env.HOOKLINE_API_URL, token: env.HOOKLINE_TOKEN });
const receiver = env.HOOKLINE_RECEIVER_URL;
const project = env.HOOKLINE_PROJECT;
const group = env.HOOKLINE_GROUP;
const results = {};

async function step(name, call) {
  try {
    const answer = await call();
    results[name] = { ok: answer === undefined ? null : answer };
    return answer;
  } catch (error) {
    const response = error?.cause?.response;
    let body = error?.cause?.description ?? String(error);
    results[name] = { error: { status: response?.status ?? null, body } };
    return undefined;
  }
}

for (const [kind, hooks, resource] of [
  ['project', api.ProjectHooks, project],
  ['group', api.GroupHooks, group],
]) {
  const made = await step(`${kind}.add`, () =>
    hooks.add(resource, `${receiver}/${kind}`, { pushEvents: true, token: 'gitbeaker-secret' }),
  );
  const id = made?.id;
  await step(`${kind}.all`, () => hooks.all(resource));
  await step(`${kind}.show`, () => hooks.show(resource, id));
  await step(`${kind}.edit`, () => hooks.edit(resource, id, made.url, { pushEvents: false, issuesEvents: true }));
  await step(`${kind}.remove`, () => hooks.remove(resource, id));
  await step(`${kind}.gone`, () => hooks.show(resource, id));
}

const system = await step('system.add', () => api.SystemHooks.add(`${receiver}/system`, { pushEvents: true }));
await step('system.all', () => api.SystemHooks.all());
await step('system.show', () => api.SystemHooks.show(system?.id));
await step('system.test', () => api.SystemHooks.test(system?.id));
await step('system.remove', () => api.SystemHooks.remove(system?.id));

for (const [kind, tokens, resource] of [
  ['project_token', api.ProjectAccessTokens, project],
  ['group_token', api.GroupAccessTokens, group],
]) {
  const expires = new Date(Date.now() + 30 * 86400 * 1000).toISOString().slice(0, 10);
  const made = await step(`${kind}.create`, () => tokens.create(resource, 'gitbeaker', ['api'], expires, { accessLevel: 30 }));
  await step(`${kind}.all`, () => tokens.all(resource));
  await step(`${kind}.show`, () => tokens.show(resource, made?.id));
  const rotated = await step(`${kind}.rotate`, () => tokens.rotate(resource, made?.id));
  await step(`${kind}.revoke`, () => tokens.revoke(resource, rotated?.id));
  await step(`${kind}.revoked`, () => tokens.show(resource, rotated?.id));
}

process.stdout.write(JSON.stringify(results));
