const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `v` is a uuid: ids from clients are checked before they reach a `uuid` column (else Postgres errors). */
export const isUuid = (v: unknown): v is string => typeof v === "string" && UUID_RE.test(v);
