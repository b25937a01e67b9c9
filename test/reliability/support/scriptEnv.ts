// Imported first by scripts/fuzz.ts and scripts/faults.ts: the test harness reads these when
// it is imported (the port) and the logger when it is created (the level).
process.env.TEST_PORT = process.env.RELIABILITY_PORT ?? process.env.TEST_PORT ?? "2590";
process.env.NODE_ENV = "test";
process.env.LOG_LEVEL ??= "silent";
