/** Sign up / log in. The token is kept per tab (see session.ts). */
import { api, ApiError } from "./api";
import { ProblemError } from "./errors";
import { signIn, type Me } from "./session";
import { byId, form, h, inputValue } from "./ui";

interface AuthReply {
  token: string;
  refreshToken: string;
  user: Me;
}

export function renderAuth(root: HTMLElement, onSignedIn: () => void): void {
  let mode: "signup" | "login" = "signup";

  // Trivia is per organization. A new one is created for its first member; others join
  // with an invite code from a member (the header's "Invite" button), never by its name.
  const org = h(
    "div",
    { id: "auth-org-field" },
    h(
      "label",
      {},
      "New organization (optional — needed for trivia)",
      h("input", {
        id: "auth-org",
        testid: "auth-org",
        placeholder: "e.g. acme",
        attrs: { autocomplete: "organization" },
      }),
    ),
    h(
      "label",
      {},
      "…or an invite code to join one",
      h("input", {
        id: "auth-invite",
        testid: "auth-invite",
        placeholder: "from a member of the organization",
        attrs: { autocomplete: "off" },
      }),
    ),
  );
  const submit = h("button", {
    type: "submit",
    class: "primary",
    id: "auth-submit",
    testid: "auth-submit",
    text: "Create account",
  });
  const title = h("p", { class: "muted", text: "Create an account to play." });
  const switchLink = h("button", {
    type: "button",
    class: "link",
    testid: "auth-switch",
    text: "I already have an account",
  });

  const render = () => {
    org.classList.toggle("hidden", mode === "login");
    submit.textContent = mode === "signup" ? "Create account" : "Log in";
    title.textContent = mode === "signup" ? "Create an account to play." : "Welcome back.";
    switchLink.textContent = mode === "signup" ? "I already have an account" : "Create a new account";
  };
  switchLink.addEventListener("click", () => {
    mode = mode === "signup" ? "login" : "signup";
    render();
  });

  const authForm = form(
    { id: "auth-form" },
    async (f) => {
      const username = inputValue(f, "#auth-username");
      const password = byId<HTMLInputElement>("auth-password").value;
      const orgId = inputValue(f, "#auth-org");
      const inviteCode = inputValue(f, "#auth-invite");
      const reply =
        mode === "signup"
          ? await api<AuthReply>("POST", "/api/auth/register", {
              username,
              password,
              ...(inviteCode ? { inviteCode } : orgId ? { orgId } : {}),
            }).catch((e) => {
              if (e instanceof ApiError && e.code === "ORG_TAKEN") {
                throw new ProblemError(
                  e.code,
                  "That organization already exists",
                  "Ask one of its members for an invite code.",
                );
              }
              throw e;
            })
          : await api<AuthReply>("POST", "/api/auth/login", { username, password }).catch((e) => {
              if (e instanceof ApiError && e.code === "UNAUTHORIZED") {
                throw new ProblemError(e.code, "Wrong username or password", e.message);
              }
              throw e;
            });
      signIn(reply.token, reply.user, reply.refreshToken);
      onSignedIn();
    },
    h(
      "label",
      {},
      "Username",
      h("input", { id: "auth-username", testid: "auth-username", attrs: { autocomplete: "username", required: true } }),
    ),
    h(
      "label",
      {},
      "Password (8 characters or more)",
      h("input", {
        id: "auth-password",
        testid: "auth-password",
        type: "password",
        attrs: { autocomplete: "current-password", required: true },
      }),
    ),
    org,
    submit,
  );

  root.replaceChildren(
    h(
      "div",
      { class: "auth" },
      h(
        "div",
        { class: "card" },
        h("div", { class: "brand" }, "rally", h("span", { text: "." })),
        title,
        authForm,
        h("div", { class: "switch" }, switchLink),
      ),
      h(
        "p",
        { class: "muted small", attrs: { style: "text-align:center;margin-top:14px" } },
        "Tip: each browser tab keeps its own sign-in, so two tabs can be two players.",
      ),
    ),
  );
  render();
  byId("auth-username").focus();
}
