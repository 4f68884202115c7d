// Sign-in: Entra ID through MSAL.js (redirect flow) when the deployment has an app registration, or a pasted token of
// the local development issuer. Tokens live in sessionStorage only: closing the tab signs out.

const devTokenKey = 'ldfleet.devToken';

export async function loadConfig() {
  const response = await fetch('config.json', { headers: { Accept: 'application/json' } });
  if (!response.ok) {
    throw new Error(`The dashboard settings could not be loaded (${response.status}).`);
  }

  return response.json();
}

/** Reads the claims of a JWT for display only; the API is what checks the token. */
export function claimsOf(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(Array.from(atob(payload), c => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join('')));
  } catch {
    return null;
  }
}

export class DevSession {
  static restore() {
    const token = sessionStorage.getItem(devTokenKey);
    return token ? new DevSession(token) : null;
  }

  static create(token) {
    return new DevSession(token.trim());
  }

  constructor(token) {
    this.raw = token;
    const claims = claimsOf(token) ?? {};
    this.name = claims.name ?? claims.preferred_username ?? claims.oid ?? 'development user';
    this.roles = [].concat(claims.roles ?? []);
  }

  keep() {
    sessionStorage.setItem(devTokenKey, this.raw);
  }

  async token() {
    return this.raw;
  }

  async signOut() {
    sessionStorage.removeItem(devTokenKey);
  }
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} could not be loaded.`));
    document.head.append(script);
  });
}

export class EntraSession {
  /** Completes a redirect back from Entra ID, or finds the signed-in account; null when nobody is signed in. */
  static async restore(settings) {
    await loadScript('vendor/msal-browser.min.js');
    const app = new globalThis.msal.PublicClientApplication({
      auth: {
        clientId: settings.clientId,
        authority: settings.authority,
        redirectUri: new URL('./', location.href).href,
        navigateToLoginRequestUrl: false,
      },
      cache: { cacheLocation: 'sessionStorage' },
    });
    await app.initialize();
    const result = await app.handleRedirectPromise();
    const account = result?.account ?? app.getAllAccounts()[0] ?? null;
    if (!account) {
      return { app, session: null };
    }

    app.setActiveAccount(account);
    return { app, session: new EntraSession(app, account, settings.scopes) };
  }

  static signIn(app, settings) {
    return app.loginRedirect({ scopes: settings.scopes });
  }

  constructor(app, account, scopes) {
    this.app = app;
    this.account = account;
    this.scopes = scopes;
    this.name = account.name ?? account.username;
    this.roles = [].concat(account.idTokenClaims?.roles ?? []);
  }

  keep() {
  }

  async token() {
    try {
      const result = await this.app.acquireTokenSilent({ scopes: this.scopes, account: this.account });
      this.roles = [].concat(claimsOf(result.accessToken)?.roles ?? this.roles);
      return result.accessToken;
    } catch (error) {
      if (error instanceof globalThis.msal.InteractionRequiredAuthError) {
        await this.app.acquireTokenRedirect({ scopes: this.scopes, account: this.account });
      }

      throw error;
    }
  }

  async signOut() {
    await this.app.logoutRedirect({ account: this.account, postLogoutRedirectUri: new URL('./', location.href).href });
  }
}
