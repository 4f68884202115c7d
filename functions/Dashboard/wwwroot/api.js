// The LdFleet API as the dashboard uses it: bearer token on every call, problem+json errors turned into ApiError,
// listings followed through their Continuation-Token header, an Idempotency-Key on every POST that starts work.

export class ApiError extends Error {
  constructor(status, problem) {
    super(describe(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

function describe(status, problem) {
  if (!problem) {
    return `The API answered ${status}.`;
  }

  const fields = problem.errors
    ? ' ' + Object.entries(problem.errors).map(([field, messages]) => `${field}: ${[].concat(messages).join(' ')}`).join('; ')
    : '';
  return `${problem.title ?? 'Request failed'} (${status})${problem.detail ? ': ' + problem.detail : ''}${fields}`;
}

export function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) {
    return crypto.randomUUID();
  }

  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

export class Api {
  /** @param {() => Promise<string>} token resolves the bearer token for the next call */
  constructor(token) {
    this.token = token;
  }

  async request(method, path, { body, headers = {}, signal } = {}) {
    const init = {
      method,
      signal,
      headers: { Accept: 'application/json', Authorization: `Bearer ${await this.token()}`, ...headers },
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }

    const response = await fetch(path, init);
    if (!response.ok) {
      let problem = null;
      const type = response.headers.get('Content-Type') ?? '';
      if (type.includes('json')) {
        problem = await response.json().catch(() => null);
      }

      throw new ApiError(response.status, problem);
    }

    return response;
  }

  async get(path, options) {
    return (await this.request('GET', path, options)).json();
  }

  /** Every page of a listing, up to maxPages (a guard for a browser tab, not a limit of the API). */
  async list(path, query = {}, maxPages = 20) {
    const items = [];
    let token = null;
    for (let page = 0; page < maxPages; page++) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null && value !== '') {
          params.append(key, value);
        }
      }

      if (token) {
        params.set('continuationToken', token);
      }

      const response = await this.request('GET', `${path}?${params}`);
      items.push(...await response.json());
      token = response.headers.get('Continuation-Token');
      if (!token) {
        return { items, complete: true };
      }
    }

    return { items, complete: false };
  }

  async start(path, body) {
    const response = await this.request('POST', path, { body, headers: { 'Idempotency-Key': newIdempotencyKey() } });
    return response.json();
  }
}
