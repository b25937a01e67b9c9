import type { ServiceDeps } from "./deps";

// Filled in by its issue.
export class GamesService {
  constructor(private readonly deps: ServiceDeps) {}
}
