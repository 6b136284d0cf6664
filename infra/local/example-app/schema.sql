-- The example multi-tenant app's migration: what the `local` stack's RLS
-- declarations (infra/local/example-app/rls.ts) protect.
--
-- Tables are created by migrations like this one, never by the RLS provider:
-- the provider manages ENABLE/FORCE ROW LEVEL SECURITY and the policies only.
-- Idempotent, so `npm run local` can run it on every start.

create table if not exists public.tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  created_at timestamptz not null default now()
);

create table if not exists public.tenant_members (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'member' check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (tenant_id, user_id)
);
create index if not exists tenant_members_user_id_idx on public.tenant_members (user_id);

-- References between tenant tables carry the tenant column: a foreign-key check
-- ignores RLS, so with `project_id references projects (id)` alone a member of
-- tenant A could attach an agent to tenant B's project (learning that it
-- exists, and letting B's cascades reach A's rows). (tenant_id, project_id)
-- can only point inside the same tenant.
create table if not exists public.projects (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  name text not null,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint projects_tenant_id_id_key unique (tenant_id, id)
);
create index if not exists projects_tenant_id_idx on public.projects (tenant_id);

create table if not exists public.agents (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  project_id uuid not null,
  name text not null,
  config jsonb not null default '{}'::jsonb,
  status text not null default 'idle',
  created_at timestamptz not null default now(),
  constraint agents_tenant_project_fkey foreign key (tenant_id, project_id)
    references public.projects (tenant_id, id) on delete cascade
);
create index if not exists agents_tenant_id_idx on public.agents (tenant_id);

-- Databases created before the composite key: the same end state.
do $$
begin
  if not exists (select 1 from pg_constraint where conrelid = 'public.projects'::regclass
                 and conname = 'projects_tenant_id_id_key') then
    alter table public.projects add constraint projects_tenant_id_id_key unique (tenant_id, id);
  end if;
  if exists (select 1 from pg_constraint where conrelid = 'public.agents'::regclass
             and conname = 'agents_project_id_fkey') then
    alter table public.agents drop constraint agents_project_id_fkey;
  end if;
  if not exists (select 1 from pg_constraint where conrelid = 'public.agents'::regclass
                 and conname = 'agents_tenant_project_fkey') then
    alter table public.agents add constraint agents_tenant_project_fkey foreign key (tenant_id, project_id)
      references public.projects (tenant_id, id) on delete cascade;
  end if;
end $$;

-- Per-user settings: owner-only rows.
create table if not exists public.user_preferences (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  key text not null,
  value jsonb not null default '{}'::jsonb,
  unique (user_id, key)
);

-- Pricing plans: anyone may read, only service_role writes.
create table if not exists public.plans (
  id text primary key,
  name text not null,
  price_cents integer not null default 0
);
