import type { ServiceDeps } from "./deps";

// Filled in by its issue.
export class ConversationsService {
  constructor(private readonly deps: ServiceDeps) {}
}
