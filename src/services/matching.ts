import type { ServiceDeps } from "./deps";

// Filled in by its issue.
export class MatchingService {
  constructor(private readonly deps: ServiceDeps) {}
}
