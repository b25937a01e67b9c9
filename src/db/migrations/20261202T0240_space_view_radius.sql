-- Interest management: how far an avatar sees in its space (half the side of the square view).
-- NULL uses the server's SPACE_VIEW_RADIUS; 0 means the whole space is in view (no filtering).
ALTER TABLE spaces ADD COLUMN view_radius integer CHECK (view_radius >= 0);
