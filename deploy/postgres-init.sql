-- Temporal's databases live beside webhookd's in the same server.
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
