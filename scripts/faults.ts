/**
 * `npm run faults`: the fault scenarios of test/reliability at a larger size, with every
 * figure printed (sent, acknowledged, stored, lost). Boots the server in this process (as the
 * tests do), and spawns real server processes for the SIGTERM scenario.
 *
 *   - clients dropped mid-chat (within the 500-event buffer, and past it), mid-trivia, mid-game;
 *   - PostgreSQL restarted while clients chat (needs DATABASE_URL on a local cluster that
 *     pg_ctlcluster can restart, run as root; skipped otherwise, and said so);
 *   - SIGTERM during dice games and a trivia session, then a restart on the same data.
 *
 *   RELIABILITY_PORT  port of the in-process server (default 2590); FAULTS_PORT the spawned one (default 2591)
 *   FAULTS_PG_RESTARTS  how many PostgreSQL restarts (default 2)
 * Exits 1 if anything acknowledged was lost or a check failed.
 */
import "../test/reliability/support/scriptEnv";
import { resetState, startServer, stopServer } from "../test/helpers/server";
import { NO_RATE_LIMITS, setConfig } from "../test/reliability/support/world";
import {
  chatDropScenario,
  clusterOf,
  diceDropScenario,
  postgresRestartScenario,
  sigtermScenario,
  triviaDropScenario,
  type DropFigures,
  type PgRestartFigures,
  type SigtermFigures,
} from "../test/reliability/support/faults";

const SPAWN_PORT = Number(process.env.FAULTS_PORT ?? 2591);
const PG_RESTARTS = Number(process.env.FAULTS_PG_RESTARTS ?? 2);

function table(title: string, header: string[], rows: string[][]): void {
  console.log(`\n${title}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const problems: string[] = [];
  await startServer();

  // Drops. Rate limits are raised and seats held 30 s (the test settings say 2 s): the point is
  // what happens to bursts while a client is away.
  const restoreLimits = setConfig({ ...NO_RATE_LIMITS, RECONNECT_SECONDS: 30, DICE_RECONNECT_SECONDS: 30 });
  const drops: DropFigures[] = [];
  for (const run of [
    () => chatDropScenario(400),
    () => chatDropScenario(800),
    () => triviaDropScenario(20, 200),
    () => diceDropScenario(10, 20),
  ]) {
    await resetState();
    const f = await run();
    drops.push(f);
    if (f.lost > 0 || !f.seqContinuous || f.stored < f.acknowledged)
      problems.push(`drop: ${f.scenario}: ${JSON.stringify(f)}`);
  }
  restoreLimits();
  table(
    "Clients dropped without consent, then back (SDK auto-reconnect)",
    [
      "scenario",
      "sent while away",
      "acknowledged",
      "stored",
      "replayed on return",
      "events_lost",
      "recovered by sync",
      "seq continuous",
      "lost",
    ],
    drops.map((f) =>
      [
        f.scenario,
        f.sent,
        f.acknowledged,
        f.stored,
        f.replayed,
        f.eventsLost,
        f.recoveredBySync,
        f.seqContinuous ? "yes" : "NO",
        f.lost,
      ].map(String),
    ),
  );

  // PostgreSQL restarts.
  const cluster = clusterOf(process.env.DATABASE_URL);
  const restarts: PgRestartFigures[] = [];
  if (cluster) {
    for (let i = 0; i < PG_RESTARTS; i++) {
      await resetState();
      const f = await postgresRestartScenario({ senders: 10, intervalMs: 10, afterRecoveryMs: 2_000 });
      restarts.push(f);
      const codes = Object.keys(f.refusedCodes);
      if (
        f.lost > 0 ||
        !f.storedExactlyOnce ||
        f.retriedAfterRecovery !== f.refused ||
        codes.some((c) => c !== "UNAVAILABLE") ||
        f.succeededAfterRecovery === 0
      ) {
        problems.push(`postgres restart ${i + 1}: ${JSON.stringify(f)}`);
      }
    }
    table(
      `PostgreSQL restarted (pg_ctlcluster ${cluster.version} ${cluster.name} restart -m fast) while clients send messages`,
      [
        "run",
        "senders",
        "sent",
        "acknowledged",
        "refused (codes)",
        "refused but stored",
        "acknowledged & stored",
        "lost",
        "ok after recovery",
        "refused then retried ok",
        "stored exactly once",
        "stored, not broadcast live",
        "outage ms",
      ],
      restarts.map((f, i) =>
        [
          i + 1,
          f.senders,
          f.sent,
          f.acknowledged,
          `${f.refused} (${
            Object.entries(f.refusedCodes)
              .map(([c, n]) => `${c} ${n}`)
              .join(", ") || "none"
          })`,
          f.refusedButStored,
          f.acknowledgedStored,
          f.lost,
          f.succeededAfterRecovery,
          f.retriedAfterRecovery,
          f.storedExactlyOnce ? "yes" : "NO",
          f.notBroadcastLive,
          f.outageMs,
        ].map(String),
      ),
    );
  } else {
    console.log(
      "\nPostgreSQL restart: skipped (needs DATABASE_URL pointing at a local cluster that pg_ctlcluster can restart, and root)",
    );
  }
  await stopServer();

  // SIGTERM.
  const f: SigtermFigures = await sigtermScenario({
    port: SPAWN_PORT,
    games: 5,
    rollsPerGame: 20,
    triviaPlayers: 20,
    databaseUrl: process.env.DATABASE_URL,
  });
  if (
    f.exitCode !== 0 ||
    f.shutdownMs >= 10_000 ||
    f.lost > 0 ||
    f.gamesStoredAsShutdown !== f.diceGames ||
    f.triviaStatusAfterRestart !== "interrupted" ||
    !f.scoresMatch ||
    f.unsavedScoresAnnounced > 0
  ) {
    problems.push(`sigterm: ${JSON.stringify(f)}`);
  }
  table(
    "SIGTERM to a server process during dice games and a trivia session, then a restart on the same data",
    ["what", "figure"],
    [
      ["exit code / time to exit", `${f.exitCode} / ${f.shutdownMs} ms`],
      ["dice games in progress", String(f.diceGames)],
      ["rolls acknowledged / stored", `${f.rollsAcknowledged} / ${f.rollsStored}`],
      ["games in history as server_shutdown", String(f.gamesStoredAsShutdown)],
      ["game_ended {reason: server_shutdown} received by players", String(f.gameEndedEventsReceived)],
      ["trivia participants", String(f.triviaParticipants)],
      ["trivia answers acknowledged (closed question + open one)", String(f.triviaAnswersAcknowledged)],
      ["answers of the closed question / stored", `${f.triviaAnswersInClosedQuestions} / ${f.triviaAnswersStored}`],
      [
        "session status after restart / scores match",
        `${f.triviaStatusAfterRestart} / ${f.scoresMatch ? "yes" : "NO"}`,
      ],
      ["scores announced but never stored", String(f.unsavedScoresAnnounced)],
      ["restarted and serving history in", `${f.restartedMs} ms`],
      ["lost", String(f.lost)],
    ],
  );

  console.log(
    `\n${problems.length ? "FAILED" : "OK"} in ${((Date.now() - started) / 1000).toFixed(0)} s (${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite"}${process.env.REDIS_URL ? " + Redis" : ""})`,
  );
  for (const p of problems) console.log(`  ${p}`);
  process.exit(problems.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
