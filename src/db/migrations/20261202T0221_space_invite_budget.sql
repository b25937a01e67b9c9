-- Space invites spend the sender's invite budget (counted per sender over the last minute),
-- and a second pending invite for the same space and invitee is refused: both look invites
-- up by sender and by (invitee, space).
CREATE INDEX notifications_space_invites_sender_idx ON notifications ((data->>'fromUserId'), created_at)
  WHERE kind = 'space_invite';
CREATE INDEX notifications_space_invites_space_idx ON notifications (user_id, (data->>'spaceId'))
  WHERE kind = 'space_invite' AND is_active;
