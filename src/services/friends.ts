import type { ServiceDeps } from "./deps";

// Filled in by its issue.
export class FriendsService {
  constructor(private readonly deps: ServiceDeps) {}
}
