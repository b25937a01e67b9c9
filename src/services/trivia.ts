import type { ServiceDeps } from "./deps";

// Filled in by its issue.
export class TriviaService {
  constructor(private readonly deps: ServiceDeps) {}
}
