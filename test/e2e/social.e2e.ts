/**
 * The social and safety features of the browser demo (issue 17), end to end in Chromium with
 * three users: the friend request list (decline, cancel, accept), last seen, the unread badge
 * and message toast, report and unmatch from a conversation, and block from a profile.
 *
 *   npm run test:e2e        (needs /usr/bin/chromium)
 *
 * Env: E2E_SOCIAL_PORT (default 2624).
 */
import { strict as assert } from "node:assert";
import { expectNoProblems, shot, testid, useDemo, type Player } from "./harness";

const PORT = Number(process.env.E2E_SOCIAL_PORT ?? 2624);

describe("client demo in Chromium: friends, blocks, unmatch, reports, unread messages", function () {
  this.timeout(180_000);

  const demo = useDemo({ port: PORT });
  let alice: Player;
  let bob: Player;
  let carol: Player;

  before(async () => {
    alice = await demo.player("alice");
    bob = await demo.player("bob");
    carol = await demo.player("carol");
  });

  const tab = (p: Player, name: string) => p.page.click(testid(`tab-${name}`));
  const askFriend = async (from: Player, to: Player) => {
    await from.page.fill("#friend-username", to.username);
    await from.page.click(testid("friend-add"));
    await from.page.waitForSelector(testid(`friend-pending-${to.username}`));
  };

  it("declines, cancels and accepts friend requests from the request list", async () => {
    for (const p of [alice, bob, carol]) await demo.register(p);

    // Bob declines Alice's request: it leaves both lists.
    await askFriend(alice, bob);
    await bob.page.click(testid(`friend-decline-${alice.username}`), { timeout: 20_000 });
    await bob.page.waitForSelector(testid(`friend-request-${alice.username}`), { state: "detached" });
    await alice.page.waitForSelector(testid(`friend-pending-${bob.username}`), { state: "detached" });

    // Alice cancels her request to Carol before Carol answers.
    await askFriend(alice, carol);
    await carol.page.waitForSelector(testid(`friend-request-${alice.username}`), { timeout: 20_000 });
    await alice.page.click(testid(`friend-cancel-${carol.username}`));
    await carol.page.waitForSelector(testid(`friend-request-${alice.username}`), { state: "detached" });

    // Asked again, both accept.
    await askFriend(alice, bob);
    await askFriend(alice, carol);
    await bob.page.click(testid(`friend-accept-${alice.username}`), { timeout: 20_000 });
    await carol.page.click(testid(`friend-accept-${alice.username}`), { timeout: 20_000 });
    await alice.page.waitForSelector(`${testid(`friend-${bob.username}`)}[data-online="true"]`);
    await alice.page.waitForSelector(`${testid(`friend-${carol.username}`)}[data-online="true"]`);
    await shot(alice.page, "social-01-friends");
    await expectNoProblems(alice, bob, carol);
  });

  it("shows when an offline friend was last seen", async () => {
    await carol.page.click(testid("sign-out"));
    const lastSeen = alice.page.locator(testid(`friend-last-seen-${carol.username}`));
    await lastSeen.waitFor();
    assert.match((await lastSeen.textContent()) ?? "", /last seen/);
    await alice.page.waitForSelector(`${testid(`friend-${carol.username}`)}[data-online="false"]`);
    await shot(alice.page, "social-02-last-seen");
    await expectNoProblems(alice);
  });

  it("a message while away shows a toast and the unread badge; reading clears the badge", async () => {
    await tab(alice, "chat");
    await alice.page.fill("#like-username", bob.username);
    await alice.page.click(testid("like-send"));
    await alice.page.waitForSelector(`${testid("toast")}:has-text("You liked ${bob.username}")`);
    await tab(bob, "chat");
    await bob.page.fill("#like-username", alice.username);
    await bob.page.click(testid("like-send"));
    await bob.page.waitForSelector(`#chat-view:not(.hidden) ${testid("chat-peer-name")}:has-text("${alice.username}")`);
    // Alice opens the chat from the match toast and reads the welcome.
    await alice.page.locator(testid("toast-new-match")).locator(testid("toast-open-chat")).click();
    await alice.page.waitForSelector(`#chat-view:not(.hidden) ${testid("chat-peer-name")}:has-text("${bob.username}")`);

    // Alice leaves the conversation and goes to the lobby: Bob's message comes to her lobby.
    await alice.page.click(testid("chat-close"));
    await tab(alice, "lobby");
    await bob.page.fill("#chat-input", "Are you still there?");
    await bob.page.press("#chat-input", "Enter");
    const toastEl = alice.page.locator(testid("toast-conversation-message"));
    await toastEl.waitFor();
    assert.match((await toastEl.textContent()) ?? "", new RegExp(`${bob.username}: Are you still there\\?`));
    // The badge counts every unread message (the match's welcome too), as the toast says.
    const unread = /(\d+) unread/.exec((await toastEl.textContent()) ?? "")?.[1];
    assert.ok(unread && Number(unread) >= 1);
    await alice.page.waitForSelector(`${testid("chat-unread-badge")}:not(.hidden)[data-count="${unread}"]`);
    await shot(alice.page, "social-03-unread-badge");

    await toastEl.locator(testid("toast-open-conversation")).click();
    await alice.page.waitForSelector(`${testid("chat-message")}:has-text("Are you still there?")`);
    await alice.page.waitForSelector(`${testid("chat-unread-badge")}.hidden[data-count="0"]`, { state: "attached" });
    await expectNoProblems(alice, bob);
  });

  it("reports the match from the conversation, then unmatches: the conversation closes for both", async () => {
    await alice.page.click(testid("chat-report"));
    await alice.page.selectOption(testid("report-reason"), "harassment");
    await alice.page.fill("#report-note", "kept insisting");
    await alice.page.click(testid("report-submit"));
    await alice.page.waitForSelector(testid("toast-reported"));
    await shot(alice.page, "social-04-reported");

    await alice.page.click(testid("chat-unmatch"));
    for (const p of [alice, bob]) {
      await p.page.waitForSelector(testid("toast-match-removed"));
      await p.page.waitForSelector("#chat-view.hidden", { state: "attached" });
      await p.page.waitForSelector(`${testid(`conversation-${p === alice ? bob.username : alice.username}`)}`, {
        state: "detached",
      });
    }
    await shot(bob.page, "social-05-unmatched");
    await expectNoProblems(alice, bob);
  });

  it("blocks from a profile: the friendship ends for both, and unblocking restores nothing", async () => {
    await tab(alice, "lobby");
    await tab(bob, "lobby");
    await alice.page.click(testid(`friend-profile-${bob.username}`));
    await alice.page.waitForSelector(testid(`profile-${bob.username}`));
    await alice.page.click(testid("profile-block"));
    await alice.page.waitForSelector(testid("toast-blocked"));
    await alice.page.waitForSelector(testid(`blocked-${bob.username}`));
    await alice.page.waitForSelector(testid(`friend-${bob.username}`), { state: "detached" });
    await bob.page.waitForSelector(testid(`friend-${alice.username}`), { state: "detached" });

    // Bob cannot ask again: the demo shows the server's refusal in words.
    await bob.page.fill("#friend-username", alice.username);
    await bob.page.click(testid("friend-add"));
    await bob.page.waitForSelector(`${testid("toast-error")}:has-text("You cannot interact with this user")`);
    await shot(bob.page, "social-06-blocked");

    await alice.page.click(testid(`unblock-${bob.username}`));
    await alice.page.waitForSelector(testid(`blocked-${bob.username}`), { state: "detached" });
    assert.equal(await alice.page.locator(testid(`friend-${bob.username}`)).count(), 0, "unblocking restores nothing");
    await expectNoProblems(alice);
  });
});
