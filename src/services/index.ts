import type { ServiceDeps } from "./deps";
import { UsersService } from "./users";
import { FriendsService } from "./friends";
import { NotificationsService } from "./notifications";
import { GameInvitationsService } from "./gameInvitations";
import { GamesService } from "./games";
import { SpacesService } from "./spaces";
import { SpaceMembersService } from "./spaceMembers";
import { TriviaService } from "./trivia";
import { MatchingService } from "./matching";
import { ConversationsService } from "./conversations";
import { PresenceService } from "./presence";
import { OrgsService } from "./orgs";
import { RefreshTokensService } from "./refreshTokens";
import { BlocksService } from "./blocks";
import { ReportsService } from "./reports";

/** The domain services, shared by rooms and REST routes. */
export interface Services {
  users: UsersService;
  friends: FriendsService;
  notifications: NotificationsService;
  gameInvitations: GameInvitationsService;
  games: GamesService;
  spaces: SpacesService;
  spaceMembers: SpaceMembersService;
  trivia: TriviaService;
  matching: MatchingService;
  conversations: ConversationsService;
  presence: PresenceService;
  orgs: OrgsService;
  refreshTokens: RefreshTokensService;
  blocks: BlocksService;
  reports: ReportsService;
}

export function createServices(base: Omit<ServiceDeps, "services">): Services {
  const services = {} as Services;
  const deps: ServiceDeps = { ...base, services };
  Object.assign(services, {
    users: new UsersService(deps),
    friends: new FriendsService(deps),
    notifications: new NotificationsService(deps),
    gameInvitations: new GameInvitationsService(deps),
    games: new GamesService(deps),
    spaces: new SpacesService(deps),
    spaceMembers: new SpaceMembersService(deps),
    trivia: new TriviaService(deps),
    matching: new MatchingService(deps),
    conversations: new ConversationsService(deps),
    presence: new PresenceService(deps),
    orgs: new OrgsService(deps),
    refreshTokens: new RefreshTokensService(deps),
    blocks: new BlocksService(deps),
    reports: new ReportsService(deps),
  } satisfies Services);
  return services;
}
