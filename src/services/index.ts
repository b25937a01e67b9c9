import type { ServiceDeps } from "./deps";
import { UsersService } from "../systems/identity/users";
import { FriendsService } from "../systems/social/friends";
import { NotificationsService } from "../systems/lobby/notifications";
import { GameInvitationsService } from "../systems/lobby/gameInvitations";
import { GamesService } from "../systems/biggerDice/games";
import { SpacesService } from "../systems/space/spaces";
import { SpaceMembersService } from "../systems/space/members";
import { TriviaService } from "../systems/trivia/trivia";
import { MatchingService } from "../systems/conversation/matching";
import { ConversationsService } from "../systems/conversation/conversations";
import { PresenceService } from "../systems/lobby/presence";
import { OrgsService } from "../systems/identity/orgs";
import { RefreshTokensService } from "../systems/identity/refreshTokens";
import { BlocksService } from "../systems/social/blocks";
import { ReportsService } from "../systems/social/reports";

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
