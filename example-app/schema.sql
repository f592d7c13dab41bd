-- Schema after the latest migration run, described from PostgreSQL's catalog by `migrate`
-- (a review aid, not a restorable dump); written by `migrate`, do not edit.

schema public

table public.comments
  column id bigint not null default nextval('public.comments_id_seq'::regclass)
  column post_id bigint not null
  column created_at timestamp with time zone not null default now()
  column body text not null
  constraint comments_pkey PRIMARY KEY (id)
  constraint comments_post_id_fkey FOREIGN KEY (post_id) REFERENCES public.posts(id) ON DELETE CASCADE
  CREATE INDEX comments_post_id_index ON public.comments USING btree (post_id)
  CREATE UNIQUE INDEX comments_pkey ON public.comments USING btree (id)

table public.posts
  column id bigint not null default nextval('public.posts_id_seq'::regclass)
  column title text not null
  column created_at timestamp with time zone not null default now()
  column location point
  constraint posts_pkey PRIMARY KEY (id)
  CREATE INDEX posts_created_at_index ON public.posts USING btree (created_at)
  CREATE UNIQUE INDEX posts_pkey ON public.posts USING btree (id)

sequence public.comments_id_seq as bigint start 1 increment 1 min 1 max 9223372036854775807 cache 1 owned by public.comments.id

sequence public.posts_id_seq as bigint start 1 increment 1 min 1 max 9223372036854775807 cache 1 owned by public.posts.id
