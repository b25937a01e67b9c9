// Loaded by .mocharc.json before anything else, so modules that read the environment at
// import time (the logger) see the test settings.
process.env.NODE_ENV = "test";
process.env.LOG_LEVEL ??= "silent";
