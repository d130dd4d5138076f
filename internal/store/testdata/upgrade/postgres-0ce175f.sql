--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;


--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: account_policies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.account_policies (
    account_id text NOT NULL,
    policy text NOT NULL,
    logo bytea,
    logo_type text DEFAULT ''::text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: account_sso; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.account_sso (
    account_id text NOT NULL,
    enabled boolean NOT NULL,
    idp_metadata_url text NOT NULL,
    idp_metadata_xml text NOT NULL,
    idp_entity_id text NOT NULL,
    email_attribute text NOT NULL,
    enforce boolean NOT NULL,
    create_users boolean NOT NULL,
    sp_key_sealed text NOT NULL,
    sp_cert_pem text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: accounts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.accounts (
    id text NOT NULL,
    name text NOT NULL,
    settings text NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    id text NOT NULL,
    account_id text NOT NULL,
    user_id text NOT NULL,
    name text NOT NULL,
    permissions text NOT NULL,
    hash text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone
);


--
-- Name: assignment_rules; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.assignment_rules (
    id text NOT NULL,
    account_id text NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    enabled boolean NOT NULL,
    match_type text NOT NULL,
    target_group_id text NOT NULL,
    conditions text NOT NULL,
    "position" integer NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: assignments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.assignments (
    id text NOT NULL,
    account_id text NOT NULL,
    principal_type text NOT NULL,
    principal_id text NOT NULL,
    role_id text NOT NULL,
    scope_type text NOT NULL,
    scope_id text NOT NULL,
    expires_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: audit_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_events (
    id text NOT NULL,
    account_id text NOT NULL,
    seq bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    actor_type text NOT NULL,
    actor_id text NOT NULL,
    actor_name text NOT NULL,
    action text NOT NULL,
    target_type text NOT NULL,
    target_id text NOT NULL,
    source_ip text NOT NULL,
    outcome text NOT NULL,
    detail text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);


--
-- Name: audit_heads; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_heads (
    account_id text NOT NULL,
    seq bigint NOT NULL,
    hash text NOT NULL
);


--
-- Name: device_groups; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.device_groups (
    id text NOT NULL,
    account_id text NOT NULL,
    parent_id text,
    name text NOT NULL,
    colour text NOT NULL,
    description text NOT NULL,
    settings text NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: device_history; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.device_history (
    seq bigint NOT NULL,
    id text NOT NULL,
    account_id text NOT NULL,
    device_id text NOT NULL,
    at timestamp with time zone NOT NULL,
    actor_id text NOT NULL,
    actor_name text NOT NULL,
    action text NOT NULL,
    detail text NOT NULL
);


--
-- Name: device_history_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.device_history ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.device_history_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: device_inventory; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.device_inventory (
    device_id text NOT NULL,
    account_id text NOT NULL,
    inventory text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: devices; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.devices (
    id text NOT NULL,
    account_id text NOT NULL,
    group_id text,
    name text NOT NULL,
    hostname text NOT NULL,
    ip_addresses text NOT NULL,
    logged_in_user text NOT NULL,
    os_name text NOT NULL,
    os_version text NOT NULL,
    device_type text NOT NULL,
    manufacturer text NOT NULL,
    asset_id text NOT NULL,
    agent_version text NOT NULL,
    directory_groups text NOT NULL,
    status text NOT NULL,
    last_seen timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    left_unassigned_at timestamp with time zone,
    rule_applied boolean NOT NULL,
    credential_hash text NOT NULL,
    search_name text DEFAULT ''::text NOT NULL,
    search_hostname text DEFAULT ''::text NOT NULL,
    search_ips text DEFAULT ''::text NOT NULL,
    search_user text DEFAULT ''::text NOT NULL
);


--
-- Name: directory_configs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.directory_configs (
    account_id text NOT NULL,
    config text NOT NULL,
    bind_password text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: directory_groups; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.directory_groups (
    group_id text NOT NULL,
    account_id text NOT NULL,
    dn text NOT NULL,
    dn_key text NOT NULL,
    synced_at timestamp with time zone NOT NULL
);


--
-- Name: directory_jobs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.directory_jobs (
    id text NOT NULL,
    account_id text NOT NULL,
    started_by text NOT NULL,
    state text NOT NULL,
    phase text NOT NULL,
    processed integer NOT NULL,
    total integer NOT NULL,
    result text NOT NULL,
    error text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);


--
-- Name: directory_users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.directory_users (
    user_id text NOT NULL,
    account_id text NOT NULL,
    dn text NOT NULL,
    dn_key text NOT NULL,
    synced_at timestamp with time zone NOT NULL
);


--
-- Name: enrollment_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.enrollment_tokens (
    id text NOT NULL,
    account_id text NOT NULL,
    group_id text,
    hash text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    created_by text NOT NULL,
    revoked_at timestamp with time zone
);


--
-- Name: favourites; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.favourites (
    account_id text NOT NULL,
    user_id text NOT NULL,
    device_id text NOT NULL
);


--
-- Name: invitations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.invitations (
    id text NOT NULL,
    account_id text NOT NULL,
    user_id text NOT NULL,
    hash text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: legal_acceptances; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.legal_acceptances (
    account_id text NOT NULL,
    user_id text NOT NULL,
    document text NOT NULL,
    version text NOT NULL,
    accepted_at timestamp with time zone NOT NULL,
    source_ip text NOT NULL
);


--
-- Name: mail_outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.mail_outbox (
    id text NOT NULL,
    account_id text NOT NULL,
    ref text DEFAULT ''::text NOT NULL,
    kind text NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body_text text NOT NULL,
    body_html text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone,
    sent_at timestamp with time zone,
    last_error text DEFAULT ''::text NOT NULL
);


--
-- Name: remote_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.remote_sessions (
    id text NOT NULL,
    account_id text NOT NULL,
    device_id text NOT NULL,
    device_name text NOT NULL,
    user_id text NOT NULL,
    user_name text NOT NULL,
    actions text NOT NULL,
    state text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    ended_by text NOT NULL,
    end_reason text NOT NULL
);


--
-- Name: roles; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.roles (
    id text NOT NULL,
    account_id text NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    purpose text NOT NULL,
    permissions text NOT NULL,
    system boolean NOT NULL,
    system_key text NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version text NOT NULL,
    applied_at text NOT NULL
);


--
-- Name: sign_in_challenges; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sign_in_challenges (
    hash text NOT NULL,
    account_id text NOT NULL,
    user_id text NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    failures integer NOT NULL
);


--
-- Name: sso_assertions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sso_assertions (
    id text NOT NULL,
    account_id text NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: sso_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sso_requests (
    id text NOT NULL,
    account_id text NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: two_factor_recovery_codes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.two_factor_recovery_codes (
    account_id text NOT NULL,
    user_id text NOT NULL,
    hash text NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: user_group_members; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_group_members (
    account_id text NOT NULL,
    group_id text NOT NULL,
    user_id text NOT NULL
);


--
-- Name: user_groups; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_groups (
    id text NOT NULL,
    account_id text NOT NULL,
    name text NOT NULL,
    description text NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: user_preferences; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_preferences (
    account_id text NOT NULL,
    user_id text NOT NULL,
    key text NOT NULL,
    value text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: user_two_factor; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_two_factor (
    account_id text NOT NULL,
    user_id text NOT NULL,
    secret_sealed text NOT NULL,
    enabled boolean NOT NULL,
    last_step bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    enabled_at timestamp with time zone
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id text NOT NULL,
    account_id text NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    owner boolean NOT NULL,
    state text NOT NULL,
    status text NOT NULL,
    disabled_reason text NOT NULL,
    language text NOT NULL,
    theme text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    activated_at timestamp with time zone
);


--
-- Name: web_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.web_sessions (
    hash text NOT NULL,
    account_id text NOT NULL,
    user_id text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_seen_at timestamp with time zone NOT NULL,
    source_ip text NOT NULL,
    method text DEFAULT 'password'::text NOT NULL
);


--
-- Data for Name: account_policies; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: account_sso; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: accounts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.accounts VALUES ('acc_hkr43gfrb4r2ctrt', 'Fixture Company', '{"require_2fa":false,"idle_timeout_minutes":15,"installer_group_assignment":false,"managed_licences":100,"seat_limit":25,"technician_display_name":"","password_min_length":10}', '2026-12-07 21:39:13.415174+00');


--
-- Data for Name: api_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.api_keys VALUES ('key_v6xdj663cztfcidl', 'acc_hkr43gfrb4r2ctrt', 'usr_qrtjm3lirct4dqlj', 'bootstrap', '[]', 'e1f7ada45315c03fb59e43fd46c864de33dcd3a88e9a8cb5350e7aee49b1c54a', '2026-12-07 21:39:13.415174+00', '2026-12-07 21:39:13.803444+00', NULL);


--
-- Data for Name: assignment_rules; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.assignment_rules VALUES ('rul_juvtkcnnxphqa6a7', 'acc_hkr43gfrb4r2ctrt', 'Paris laptops', '', true, 'all', 'grp_i5pn55tdmaajvuda', '[{"property":"device_name","operator":"starts_with","value":"PAR-"}]', 1, '2026-12-07 21:39:15.030122+00');


--
-- Data for Name: assignments; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.assignments VALUES ('asg_xaybj7t7ois77qnh', 'acc_hkr43gfrb4r2ctrt', 'user', 'usr_x5z72ele25lpstv5', 'rol_rvtefpzwv5tvxiby', 'account', '', NULL, '2026-12-07 21:39:14.684466+00');
INSERT INTO public.assignments VALUES ('asg_eqflxkrpme727m3o', 'acc_hkr43gfrb4r2ctrt', 'user', 'usr_wmnmxv22oibpufqa', 'rol_r6sc5fifourbmlav', 'account', '', NULL, '2026-12-07 21:39:14.793428+00');
INSERT INTO public.assignments VALUES ('asg_xvum4of3jpny5jac', 'acc_hkr43gfrb4r2ctrt', 'user_group', 'ugr_qaldw6jankx4qbl2', 'rol_ozehd5vndonpdylo', 'device_group', 'grp_iqsmkofxnkla2rbe', NULL, '2026-12-07 21:39:14.854172+00');
INSERT INTO public.assignments VALUES ('asg_7whok2gsrpxuyvg3', 'acc_hkr43gfrb4r2ctrt', 'user', 'usr_wmnmxv22oibpufqa', 'rol_3ybhnu4mucfsxihv', 'device_group', 'grp_ggd4ekeg4khuff7r', NULL, '2026-12-07 21:39:14.964676+00');
INSERT INTO public.assignments VALUES ('asg_hxnzgcaf6tyspbkk', 'acc_hkr43gfrb4r2ctrt', 'user', 'usr_x5z72ele25lpstv5', 'rol_schffsbk4yac33h4', 'device', 'dev_mrzluinvdltx2oxm', NULL, '2026-12-07 21:39:15.72278+00');


--
-- Data for Name: audit_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_events VALUES ('evt_ji5jnlh4uwrorhzv', 'acc_hkr43gfrb4r2ctrt', 1, '2026-12-07 21:39:13.51023+00', 'system', '', 'system', 'account.create', 'account', 'acc_hkr43gfrb4r2ctrt', '', 'success', 'owner owner@fixture.portico.test', '', '3fcf051bb86452cdad104bc9f6c72a85ebdffc006a4ecec13dc2f66baf3ab68e');
INSERT INTO public.audit_events VALUES ('evt_2we4sijls6gqer5u', 'acc_hkr43gfrb4r2ctrt', 2, '2026-12-07 21:39:13.815663+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'device_group.create', 'device_group', 'grp_iqsmkofxnkla2rbe', '127.0.0.1', 'success', 'Europe (api key key_v6xdj663cztfcidl)', '3fcf051bb86452cdad104bc9f6c72a85ebdffc006a4ecec13dc2f66baf3ab68e', 'eb69e076a5543a339236b17565217ba7c55ec7622f59efe1d12e38d027d93dfc');
INSERT INTO public.audit_events VALUES ('evt_yt7swsnyyzo2cunf', 'acc_hkr43gfrb4r2ctrt', 3, '2026-12-07 21:39:13.89722+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'device_group.create', 'device_group', 'grp_rhb4stitbhhruime', '127.0.0.1', 'success', 'France (api key key_v6xdj663cztfcidl)', 'eb69e076a5543a339236b17565217ba7c55ec7622f59efe1d12e38d027d93dfc', '823e4ac7dbb78fcccf746e5f1b9006bd7b5f5eb5acf98947764d7eca2798331c');
INSERT INTO public.audit_events VALUES ('evt_gryfiodkozot52xl', 'acc_hkr43gfrb4r2ctrt', 4, '2026-12-07 21:39:13.970188+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'device_group.create', 'device_group', 'grp_i5pn55tdmaajvuda', '127.0.0.1', 'success', 'Paris (api key key_v6xdj663cztfcidl)', '823e4ac7dbb78fcccf746e5f1b9006bd7b5f5eb5acf98947764d7eca2798331c', '5c8aa07793030fc28dba60683e6c5d485f4da60009a3dfd1696a5a1c27c81e33');
INSERT INTO public.audit_events VALUES ('evt_etvaxebtreisfuhw', 'acc_hkr43gfrb4r2ctrt', 5, '2026-12-07 21:39:14.036623+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'device_group.create', 'device_group', 'grp_p65c2tcvt43w7yo6', '127.0.0.1', 'success', 'Americas (api key key_v6xdj663cztfcidl)', '5c8aa07793030fc28dba60683e6c5d485f4da60009a3dfd1696a5a1c27c81e33', '39c3713911e06705f7173bb7647ea9f8365f90972987daf2976b2e6761405ca6');
INSERT INTO public.audit_events VALUES ('evt_tqyfpbxhgpj3guey', 'acc_hkr43gfrb4r2ctrt', 6, '2026-12-07 21:39:14.101516+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'device_group.create', 'device_group', 'grp_ggd4ekeg4khuff7r', '127.0.0.1', 'success', 'Canada (api key key_v6xdj663cztfcidl)', '39c3713911e06705f7173bb7647ea9f8365f90972987daf2976b2e6761405ca6', '364d30fcc83a6f00916c21c094a6fe22db34ce998f170345d37ed18fc72c56ab');
INSERT INTO public.audit_events VALUES ('evt_tqp53q5ka3vwsaly', 'acc_hkr43gfrb4r2ctrt', 7, '2026-12-07 21:39:14.135022+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'device_group.settings.update', 'device_group', 'grp_i5pn55tdmaajvuda', '127.0.0.1', 'success', 'chat=off (api key key_v6xdj663cztfcidl)', '364d30fcc83a6f00916c21c094a6fe22db34ce998f170345d37ed18fc72c56ab', '0bf57f4bac09ef6576dd8d5886d5adcb36f88c00c1847d0b0b676a1fcd1cf6fc');
INSERT INTO public.audit_events VALUES ('evt_mionqbix5mjbwbq4', 'acc_hkr43gfrb4r2ctrt', 8, '2026-12-07 21:39:14.290331+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'user.create', 'user', 'usr_wmnmxv22oibpufqa', '127.0.0.1', 'success', 'alice@fixture.portico.test (api key key_v6xdj663cztfcidl)', '0bf57f4bac09ef6576dd8d5886d5adcb36f88c00c1847d0b0b676a1fcd1cf6fc', 'aafa43507fb3dc698e8040f14a32a0784d9d74e9ea86827784a02e0334fd83db');
INSERT INTO public.audit_events VALUES ('evt_3nm52kdmc3y3it3v', 'acc_hkr43gfrb4r2ctrt', 9, '2026-12-07 21:39:14.389966+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'user.create', 'user', 'usr_x5z72ele25lpstv5', '127.0.0.1', 'success', 'bob@fixture.portico.test (api key key_v6xdj663cztfcidl)', 'aafa43507fb3dc698e8040f14a32a0784d9d74e9ea86827784a02e0334fd83db', '924b388428dfb6a51e5d7fd475dbe90c818264756d975897e282a2ac5b74b4ea');
INSERT INTO public.audit_events VALUES ('evt_flu7glnutea7ii4y', 'acc_hkr43gfrb4r2ctrt', 10, '2026-12-07 21:39:14.455029+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'user.invite', 'user', 'usr_wbyxrm2mhv6fzx7j', '127.0.0.1', 'success', 'carol@fixture.portico.test (api key key_v6xdj663cztfcidl)', '924b388428dfb6a51e5d7fd475dbe90c818264756d975897e282a2ac5b74b4ea', 'd84f12122eb6338b5f09111a325a087d86ccc163d3ca04f33e85aeee9b8087c1');
INSERT INTO public.audit_events VALUES ('evt_hh7m47btpnvxpwj2', 'acc_hkr43gfrb4r2ctrt', 11, '2026-12-07 21:39:14.522901+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'user_group.create', 'user_group', 'ugr_qaldw6jankx4qbl2', '127.0.0.1', 'success', 'Support (api key key_v6xdj663cztfcidl)', 'd84f12122eb6338b5f09111a325a087d86ccc163d3ca04f33e85aeee9b8087c1', '14e81c30a33a4b0edb8d5bd3f7f8f4cdfdd3c576f2b33a5d691628dac33c8e17');
INSERT INTO public.audit_events VALUES ('evt_5fw3t7pyb3mrpvat', 'acc_hkr43gfrb4r2ctrt', 12, '2026-12-07 21:39:14.557177+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'role.create', 'role', 'rol_ozehd5vndonpdylo', '127.0.0.1', 'success', 'Helpdesk (api key key_v6xdj663cztfcidl)', '14e81c30a33a4b0edb8d5bd3f7f8f4cdfdd3c576f2b33a5d691628dac33c8e17', '491ab739de148f9b9bbffc6b6d90946b9b6d5e065b16b59d05ce001fc36928c5');
INSERT INTO public.audit_events VALUES ('evt_6r7osznlh75jktey', 'acc_hkr43gfrb4r2ctrt', 13, '2026-12-07 21:39:14.687795+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'role_assignment.create', 'role_assignment', 'asg_xaybj7t7ois77qnh', '127.0.0.1', 'success', 'user usr_x5z72ele25lpstv5 role rol_rvtefpzwv5tvxiby at account  (api key key_v6xdj663cztfcidl)', '491ab739de148f9b9bbffc6b6d90946b9b6d5e065b16b59d05ce001fc36928c5', 'fa3906ad1280c3ec1a616614e55355d8e2f9834a1afcf84d0bb8fc91ac2cb0e5');
INSERT INTO public.audit_events VALUES ('evt_qpxkr7idh2v6b7wf', 'acc_hkr43gfrb4r2ctrt', 14, '2026-12-07 21:39:14.795055+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'role_assignment.create', 'role_assignment', 'asg_eqflxkrpme727m3o', '127.0.0.1', 'success', 'user usr_wmnmxv22oibpufqa role rol_r6sc5fifourbmlav at account  (api key key_v6xdj663cztfcidl)', 'fa3906ad1280c3ec1a616614e55355d8e2f9834a1afcf84d0bb8fc91ac2cb0e5', 'cddff22aa0952d07f5e1f92c7abecfa9a2ba995f49290753192c113d62a046ba');
INSERT INTO public.audit_events VALUES ('evt_y3bsxz7fpq6pgypo', 'acc_hkr43gfrb4r2ctrt', 15, '2026-12-07 21:39:14.856395+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'role_assignment.create', 'role_assignment', 'asg_xvum4of3jpny5jac', '127.0.0.1', 'success', 'user_group ugr_qaldw6jankx4qbl2 role rol_ozehd5vndonpdylo at device_group grp_iqsmkofxnkla2rbe (api key key_v6xdj663cztfcidl)', 'cddff22aa0952d07f5e1f92c7abecfa9a2ba995f49290753192c113d62a046ba', 'fe6394a9d0f705d312c3356e441998377e63d873fd3ef19b886fdaedce2e0703');
INSERT INTO public.audit_events VALUES ('evt_3ncheur6gks2horu', 'acc_hkr43gfrb4r2ctrt', 16, '2026-12-07 21:39:14.96653+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'role_assignment.create', 'role_assignment', 'asg_7whok2gsrpxuyvg3', '127.0.0.1', 'success', 'user usr_wmnmxv22oibpufqa role rol_3ybhnu4mucfsxihv at device_group grp_ggd4ekeg4khuff7r (api key key_v6xdj663cztfcidl)', 'fe6394a9d0f705d312c3356e441998377e63d873fd3ef19b886fdaedce2e0703', '9a898fb7a099f3e0da4b2cfdb069d494dfde29bf86c128421d5013c1134d19ab');
INSERT INTO public.audit_events VALUES ('evt_xgnupishwzhadfph', 'acc_hkr43gfrb4r2ctrt', 17, '2026-12-07 21:39:15.032802+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'assignment_rule.create', 'assignment_rule', 'rul_juvtkcnnxphqa6a7', '127.0.0.1', 'success', 'Paris laptops (api key key_v6xdj663cztfcidl)', '9a898fb7a099f3e0da4b2cfdb069d494dfde29bf86c128421d5013c1134d19ab', 'fa0fae4d8794ced9943bc4eecd04b68c85683835e42c366b7cdc9c0d6c693b5b');
INSERT INTO public.audit_events VALUES ('evt_pfe3p5razl5cx2ql', 'acc_hkr43gfrb4r2ctrt', 18, '2026-12-07 21:39:15.058078+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'enrollment_token.create', 'enrollment_token', 'enr_l4dhrrazafzjd25b', '127.0.0.1', 'success', 'account-wide (api key key_v6xdj663cztfcidl)', 'fa0fae4d8794ced9943bc4eecd04b68c85683835e42c366b7cdc9c0d6c693b5b', 'b1b08d34eb0e6b82dd554136318e573364dafacdf65b26dc38761f635f6b2475');
INSERT INTO public.audit_events VALUES ('evt_3xmhk2vjevmmcvkf', 'acc_hkr43gfrb4r2ctrt', 19, '2026-12-07 21:39:15.141996+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'enrollment_token.create', 'enrollment_token', 'enr_nm7bttyzccn2yyx7', '127.0.0.1', 'success', 'device group grp_ggd4ekeg4khuff7r (api key key_v6xdj663cztfcidl)', 'b1b08d34eb0e6b82dd554136318e573364dafacdf65b26dc38761f635f6b2475', '9f3211b35d64bff6e37152b4317d40dc4447329ff9d026ffbfdb6f91d26283be');
INSERT INTO public.audit_events VALUES ('evt_sjn2xricdrktmpqg', 'acc_hkr43gfrb4r2ctrt', 20, '2026-12-07 21:39:15.215155+00', 'agent', 'dev_ywpcxsak4hett46s', 'PAR-LT-001', 'device.enroll', 'device', 'dev_ywpcxsak4hett46s', '127.0.0.1', 'success', 'PAR-LT-001 into Unassigned with enrollment token enr_l4dhrrazafzjd25b; moved by rule "Paris laptops"', '9f3211b35d64bff6e37152b4317d40dc4447329ff9d026ffbfdb6f91d26283be', '207057c40345e18ebcbfd63e4d117c425c5cb52984c7939d7648aaedfcebd6ec');
INSERT INTO public.audit_events VALUES ('evt_dn3irr6xtnl5h5yr', 'acc_hkr43gfrb4r2ctrt', 21, '2026-12-07 21:39:15.280922+00', 'agent', 'dev_ilft3a35hpis26cm', 'PAR-LT-002', 'device.enroll', 'device', 'dev_ilft3a35hpis26cm', '127.0.0.1', 'success', 'PAR-LT-002 into Unassigned with enrollment token enr_l4dhrrazafzjd25b; moved by rule "Paris laptops"', '207057c40345e18ebcbfd63e4d117c425c5cb52984c7939d7648aaedfcebd6ec', 'e711ded3c68bf76b3e783dc99fe61bb9e88e05dc8b9e2a175c8d1c52f1f02159');
INSERT INTO public.audit_events VALUES ('evt_cv3ntbktwrfkayta', 'acc_hkr43gfrb4r2ctrt', 22, '2026-12-07 21:39:15.344956+00', 'agent', 'dev_bsrkznbzd6zy2kqd', 'LYO-DT-003', 'device.enroll', 'device', 'dev_bsrkznbzd6zy2kqd', '127.0.0.1', 'success', 'LYO-DT-003 into Unassigned with enrollment token enr_l4dhrrazafzjd25b', 'e711ded3c68bf76b3e783dc99fe61bb9e88e05dc8b9e2a175c8d1c52f1f02159', 'ebb48025401e8a91297c66b051f40b01675eca8f9a77413e18569dc260a488ef');
INSERT INTO public.audit_events VALUES ('evt_x7dzt2tji5u5xaog', 'acc_hkr43gfrb4r2ctrt', 23, '2026-12-07 21:39:15.411012+00', 'agent', 'dev_mrzluinvdltx2oxm', 'TOR-DT-101', 'device.enroll', 'device', 'dev_mrzluinvdltx2oxm', '127.0.0.1', 'success', 'TOR-DT-101 into Unassigned with enrollment token enr_nm7bttyzccn2yyx7', 'ebb48025401e8a91297c66b051f40b01675eca8f9a77413e18569dc260a488ef', '12a0fccc67aef8e0ee84ed2a79a0f84b11056077d21adaa5a41caded6c3db27f');
INSERT INTO public.audit_events VALUES ('evt_wlmfb24m7latab6o', 'acc_hkr43gfrb4r2ctrt', 24, '2026-12-07 21:39:15.476137+00', 'agent', 'dev_6blfzz6d2yzq6m2p', 'NEW-LAPTOP-9', 'device.enroll', 'device', 'dev_6blfzz6d2yzq6m2p', '127.0.0.1', 'success', 'NEW-LAPTOP-9 into Unassigned with enrollment token enr_l4dhrrazafzjd25b', '12a0fccc67aef8e0ee84ed2a79a0f84b11056077d21adaa5a41caded6c3db27f', 'ce4c1c5adaf53b47e7e3a65d82b29e041ca6db53c192dd3216893e6f72e2ed53');
INSERT INTO public.audit_events VALUES ('evt_urzmejhe4wgvc3ze', 'acc_hkr43gfrb4r2ctrt', 25, '2026-12-07 21:39:15.543894+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'device.move', 'device', 'dev_bsrkznbzd6zy2kqd', '127.0.0.1', 'success', 'LYO-DT-003 from "Unassigned" to "France" (api key key_v6xdj663cztfcidl)', 'ce4c1c5adaf53b47e7e3a65d82b29e041ca6db53c192dd3216893e6f72e2ed53', '418fa76558d509c222978a97a4c1202cd322d3ec8fa3c736e516935da32f0a6f');
INSERT INTO public.audit_events VALUES ('evt_fvnzls4zar5xwx4n', 'acc_hkr43gfrb4r2ctrt', 26, '2026-12-07 21:39:15.61076+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'device.move', 'device', 'dev_mrzluinvdltx2oxm', '127.0.0.1', 'success', 'TOR-DT-101 from "Unassigned" to "Canada" (api key key_v6xdj663cztfcidl)', '418fa76558d509c222978a97a4c1202cd322d3ec8fa3c736e516935da32f0a6f', '9662e8fc966db7f7649b2cf1839e5f7537a8f7b3f42f92ee86d3bbc3928c0811');
INSERT INTO public.audit_events VALUES ('evt_gdricntv3eeokbix', 'acc_hkr43gfrb4r2ctrt', 27, '2026-12-07 21:39:15.724717+00', 'api_key', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'role_assignment.create', 'role_assignment', 'asg_hxnzgcaf6tyspbkk', '127.0.0.1', 'success', 'user usr_x5z72ele25lpstv5 role rol_schffsbk4yac33h4 at device dev_mrzluinvdltx2oxm (api key key_v6xdj663cztfcidl)', '9662e8fc966db7f7649b2cf1839e5f7537a8f7b3f42f92ee86d3bbc3928c0811', '0671d7858f51d9ee61da111f6b2e811d0270e83f4280b708f8b7c4556c8925b5');


--
-- Data for Name: audit_heads; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_heads VALUES ('acc_hkr43gfrb4r2ctrt', 27, '0671d7858f51d9ee61da111f6b2e811d0270e83f4280b708f8b7c4556c8925b5');


--
-- Data for Name: device_groups; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.device_groups VALUES ('grp_k3ag3b6tnibo63gv', 'acc_hkr43gfrb4r2ctrt', NULL, 'Fixture Company', '#098dce', '', '{}', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.device_groups VALUES ('grp_iqsmkofxnkla2rbe', 'acc_hkr43gfrb4r2ctrt', NULL, 'Europe', '#336699', 'Europe devices', '{}', '2026-12-07 21:39:13.814322+00');
INSERT INTO public.device_groups VALUES ('grp_rhb4stitbhhruime', 'acc_hkr43gfrb4r2ctrt', 'grp_iqsmkofxnkla2rbe', 'France', '#336699', 'France devices', '{}', '2026-12-07 21:39:13.895231+00');
INSERT INTO public.device_groups VALUES ('grp_p65c2tcvt43w7yo6', 'acc_hkr43gfrb4r2ctrt', NULL, 'Americas', '#336699', 'Americas devices', '{}', '2026-12-07 21:39:14.034891+00');
INSERT INTO public.device_groups VALUES ('grp_ggd4ekeg4khuff7r', 'acc_hkr43gfrb4r2ctrt', 'grp_p65c2tcvt43w7yo6', 'Canada', '#336699', 'Canada devices', '{}', '2026-12-07 21:39:14.100513+00');
INSERT INTO public.device_groups VALUES ('grp_i5pn55tdmaajvuda', 'acc_hkr43gfrb4r2ctrt', 'grp_rhb4stitbhhruime', 'Paris', '#336699', 'Paris devices', '{"chat":false}', '2026-12-07 21:39:13.968807+00');


--
-- Data for Name: device_history; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.device_history OVERRIDING SYSTEM VALUE VALUES (1, 'hst_luqqwlsuunptm5ko', 'acc_hkr43gfrb4r2ctrt', 'dev_ywpcxsak4hett46s', '2026-12-07 21:39:15.209997+00', 'dev_ywpcxsak4hett46s', 'PAR-LT-001', 'enrolled', 'into Unassigned with enrollment token enr_l4dhrrazafzjd25b');
INSERT INTO public.device_history OVERRIDING SYSTEM VALUE VALUES (2, 'hst_k2iy73uzs7yg76qd', 'acc_hkr43gfrb4r2ctrt', 'dev_ywpcxsak4hett46s', '2026-12-07 21:39:15.214837+00', '', 'assignment rules', 'moved', 'by rule "Paris laptops" from "Unassigned" to "Paris"');
INSERT INTO public.device_history OVERRIDING SYSTEM VALUE VALUES (3, 'hst_wo7ev4qah75yko2l', 'acc_hkr43gfrb4r2ctrt', 'dev_ilft3a35hpis26cm', '2026-12-07 21:39:15.278006+00', 'dev_ilft3a35hpis26cm', 'PAR-LT-002', 'enrolled', 'into Unassigned with enrollment token enr_l4dhrrazafzjd25b');
INSERT INTO public.device_history OVERRIDING SYSTEM VALUE VALUES (4, 'hst_qgvfxjnl7eysd5io', 'acc_hkr43gfrb4r2ctrt', 'dev_ilft3a35hpis26cm', '2026-12-07 21:39:15.280591+00', '', 'assignment rules', 'moved', 'by rule "Paris laptops" from "Unassigned" to "Paris"');
INSERT INTO public.device_history OVERRIDING SYSTEM VALUE VALUES (5, 'hst_pm6imibufffnmk25', 'acc_hkr43gfrb4r2ctrt', 'dev_bsrkznbzd6zy2kqd', '2026-12-07 21:39:15.3439+00', 'dev_bsrkznbzd6zy2kqd', 'LYO-DT-003', 'enrolled', 'into Unassigned with enrollment token enr_l4dhrrazafzjd25b');
INSERT INTO public.device_history OVERRIDING SYSTEM VALUE VALUES (6, 'hst_hlif43qsor2ol4ix', 'acc_hkr43gfrb4r2ctrt', 'dev_mrzluinvdltx2oxm', '2026-12-07 21:39:15.410067+00', 'dev_mrzluinvdltx2oxm', 'TOR-DT-101', 'enrolled', 'into Unassigned with enrollment token enr_nm7bttyzccn2yyx7');
INSERT INTO public.device_history OVERRIDING SYSTEM VALUE VALUES (7, 'hst_4xejv22qq45dpli3', 'acc_hkr43gfrb4r2ctrt', 'dev_6blfzz6d2yzq6m2p', '2026-12-07 21:39:15.475053+00', 'dev_6blfzz6d2yzq6m2p', 'NEW-LAPTOP-9', 'enrolled', 'into Unassigned with enrollment token enr_l4dhrrazafzjd25b');
INSERT INTO public.device_history OVERRIDING SYSTEM VALUE VALUES (8, 'hst_3icg5kdih3kgifxz', 'acc_hkr43gfrb4r2ctrt', 'dev_bsrkznbzd6zy2kqd', '2026-12-07 21:39:15.543638+00', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'moved', 'from "Unassigned" to "France"');
INSERT INTO public.device_history OVERRIDING SYSTEM VALUE VALUES (9, 'hst_pe4kjaeotlpt6nnq', 'acc_hkr43gfrb4r2ctrt', 'dev_mrzluinvdltx2oxm', '2026-12-07 21:39:15.610489+00', 'usr_qrtjm3lirct4dqlj', 'Oscar Owner', 'moved', 'from "Unassigned" to "Canada"');


--
-- Data for Name: device_inventory; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: devices; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.devices VALUES ('dev_ywpcxsak4hett46s', 'acc_hkr43gfrb4r2ctrt', 'grp_i5pn55tdmaajvuda', 'PAR-LT-001', 'par-lt-001', '["10.1.0.11"]', 'user', 'Ubuntu', '24.04', 'Laptop', 'Contoso', '', '0.1.0', '[]', 'unavailable', NULL, '2026-12-07 21:39:15.206715+00', '2026-12-07 21:39:15.213109+00', true, '6fb2a0cc3f45693253576fe38fa493eb7eddb45cc308ae1494c96f8d5881a421', 'par-lt-001', 'par-lt-001', '10.1.0.11', 'user');
INSERT INTO public.devices VALUES ('dev_ilft3a35hpis26cm', 'acc_hkr43gfrb4r2ctrt', 'grp_i5pn55tdmaajvuda', 'PAR-LT-002', 'par-lt-002', '["10.1.0.12"]', 'user', 'Ubuntu', '24.04', 'Laptop', 'Contoso', '', '0.1.0', '[]', 'unavailable', NULL, '2026-12-07 21:39:15.277126+00', '2026-12-07 21:39:15.279196+00', true, 'f88e76c2c7a5de557525b882688ff9e1b506131160bf791c6a76d81ecdf652fd', 'par-lt-002', 'par-lt-002', '10.1.0.12', 'user');
INSERT INTO public.devices VALUES ('dev_6blfzz6d2yzq6m2p', 'acc_hkr43gfrb4r2ctrt', NULL, 'NEW-LAPTOP-9', 'new-laptop-9', '["10.9.0.99"]', 'user', 'Ubuntu', '24.04', 'Laptop', 'Contoso', '', '0.1.0', '[]', 'unavailable', NULL, '2026-12-07 21:39:15.473969+00', NULL, false, '8073c808b86f0798838eef4178690bfaa8d85b013a638db999efed750b8d9168', 'new-laptop-9', 'new-laptop-9', '10.9.0.99', 'user');
INSERT INTO public.devices VALUES ('dev_bsrkznbzd6zy2kqd', 'acc_hkr43gfrb4r2ctrt', 'grp_rhb4stitbhhruime', 'LYO-DT-003', 'lyo-dt-003', '["10.1.0.13"]', 'user', 'Ubuntu', '24.04', 'Laptop', 'Contoso', '', '0.1.0', '[]', 'unavailable', NULL, '2026-12-07 21:39:15.342995+00', '2026-12-07 21:39:15.5423+00', true, 'bf8a238f9724468448dce2be615bae999fb7d0ba6f507d9ee54fe830c547bd64', 'lyo-dt-003', 'lyo-dt-003', '10.1.0.13', 'user');
INSERT INTO public.devices VALUES ('dev_mrzluinvdltx2oxm', 'acc_hkr43gfrb4r2ctrt', 'grp_ggd4ekeg4khuff7r', 'TOR-DT-101', 'tor-dt-101', '["10.2.0.11"]', 'user', 'Ubuntu', '24.04', 'Laptop', 'Contoso', '', '0.1.0', '[]', 'unavailable', NULL, '2026-12-07 21:39:15.409082+00', '2026-12-07 21:39:15.609244+00', true, '045f36d81c19f44ee55764eb787f8456001b13caaf61d788b99a76d6eb5143a1', 'tor-dt-101', 'tor-dt-101', '10.2.0.11', 'user');


--
-- Data for Name: directory_configs; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: directory_groups; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: directory_jobs; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: directory_users; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: enrollment_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.enrollment_tokens VALUES ('enr_l4dhrrazafzjd25b', 'acc_hkr43gfrb4r2ctrt', NULL, '913e3e91ea193c9a2011ef65918c754a61fa677675dc7e7d8b1a343f4379cc95', '2026-12-07 21:39:15.056527+00', 'usr_qrtjm3lirct4dqlj', NULL);
INSERT INTO public.enrollment_tokens VALUES ('enr_nm7bttyzccn2yyx7', 'acc_hkr43gfrb4r2ctrt', 'grp_ggd4ekeg4khuff7r', '6a6ebb6c79a9a16c5a2b902dc5baec74434d3069c270431c34a08b52b4919a4d', '2026-12-07 21:39:15.140801+00', 'usr_qrtjm3lirct4dqlj', NULL);


--
-- Data for Name: favourites; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: invitations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.invitations VALUES ('inv_qwhwd5z7uscitf22', 'acc_hkr43gfrb4r2ctrt', 'usr_wbyxrm2mhv6fzx7j', '74642315a26e9fca128aa4390fbdb2d9a4def7c4ecf76e366614c2a6e6176258', '2026-12-07 21:39:14.453802+00', '2026-12-14 21:39:14.453802+00', NULL);


--
-- Data for Name: legal_acceptances; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: mail_outbox; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: remote_sessions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: roles; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.roles VALUES ('rol_3ybhnu4mucfsxihv', 'acc_hkr43gfrb4r2ctrt', 'Full device access', '', 'devices', '["device.view","device.edit","device.delete","device.move","device.history","device.inventory","device.notifications","device.recordings.view","device.recordings.delete","device.screen_view","device.remote_control","device.screenshot","device.file_transfer","device.terminal","device.registry","device.task_manager","device.chat","device.message","device.clipboard","device.blank_screen","device.ctrl_alt_del","device.wake","device.reboot","device.lock","device.calls","device.screen_preview"]', true, 'full_device_access', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_schffsbk4yac33h4', 'acc_hkr43gfrb4r2ctrt', 'Only device connection', '', 'devices', '["device.view","device.screen_view","device.remote_control"]', true, 'device_connection', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_6dx26eofpjjjm3lm', 'acc_hkr43gfrb4r2ctrt', 'All invitations', '', 'on_demand', '["on_demand.all","on_demand.own","on_demand.screen_view","on_demand.remote_control","on_demand.screenshot","on_demand.file_transfer","on_demand.terminal","on_demand.registry","on_demand.task_manager","on_demand.chat","on_demand.message","on_demand.clipboard","on_demand.blank_screen","on_demand.ctrl_alt_del","on_demand.reboot","on_demand.calls","on_demand.screen_preview","on_demand.recordings.view","on_demand.recordings.delete","on_demand.elevate","on_demand.install_request"]', true, 'all_invitations', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_hqxkww6iqceipwsz', 'acc_hkr43gfrb4r2ctrt', 'Own invitations', '', 'on_demand', '["on_demand.own","on_demand.screen_view","on_demand.remote_control","on_demand.screenshot","on_demand.file_transfer","on_demand.terminal","on_demand.registry","on_demand.task_manager","on_demand.chat","on_demand.message","on_demand.clipboard","on_demand.blank_screen","on_demand.ctrl_alt_del","on_demand.reboot","on_demand.calls","on_demand.screen_preview","on_demand.recordings.view","on_demand.recordings.delete","on_demand.elevate","on_demand.install_request"]', true, 'own_invitations', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_6a5n67liw63sfm5b', 'acc_hkr43gfrb4r2ctrt', 'Team administrator', '', 'administration', '["account.view","account.manage","users.view","users.invite","users.edit","users.delete","users.manage_2fa","user_groups.view","user_groups.manage","user_groups.delete","roles.view","roles.manage","roles.delete","role_assignments.manage"]', true, 'team_administrator', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_225aaolesgzpmris', 'acc_hkr43gfrb4r2ctrt', 'Branding administrator', '', 'administration', '["branding.manage"]', true, 'branding_administrator', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_wifjznzovlatesks', 'acc_hkr43gfrb4r2ctrt', 'Billing administrator', '', 'administration', '["billing.view","billing.manage"]', true, 'billing_administrator', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_rvtefpzwv5tvxiby', 'acc_hkr43gfrb4r2ctrt', 'Auditor', '', 'administration', '["audit.view"]', true, 'auditor', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_r6sc5fifourbmlav', 'acc_hkr43gfrb4r2ctrt', 'Devices list', '', 'administration', '["devices.list"]', true, 'devices_list', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_lepphogmwfpj7z4j', 'acc_hkr43gfrb4r2ctrt', 'Administrator', '', 'general', '["account.view","account.manage","billing.view","billing.manage","legal.manage","branding.manage","api_keys.view","api_keys.manage","ip_allowlist.view","ip_allowlist.manage","installers.access","on_demand.settings","audit.view","users.view","users.invite","users.edit","users.delete","users.manage_2fa","user_groups.view","user_groups.manage","user_groups.delete","roles.view","roles.manage","roles.delete","role_assignments.manage","device_groups.view","device_groups.manage","device_groups.delete","device_groups.settings","assignment_rules.manage","devices.list","device.view","device.edit","device.delete","device.move","device.history","device.inventory","device.notifications","device.recordings.view","device.recordings.delete","device.screen_view","device.remote_control","device.screenshot","device.file_transfer","device.terminal","device.registry","device.task_manager","device.chat","device.message","device.clipboard","device.blank_screen","device.ctrl_alt_del","device.wake","device.reboot","device.lock","device.calls","device.screen_preview","on_demand.own","on_demand.all","on_demand.screen_view","on_demand.remote_control","on_demand.screenshot","on_demand.file_transfer","on_demand.terminal","on_demand.registry","on_demand.task_manager","on_demand.chat","on_demand.message","on_demand.clipboard","on_demand.blank_screen","on_demand.ctrl_alt_del","on_demand.reboot","on_demand.calls","on_demand.screen_preview","on_demand.recordings.view","on_demand.recordings.delete","on_demand.elevate","on_demand.install_request"]', true, 'administrator', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.roles VALUES ('rol_ozehd5vndonpdylo', 'acc_hkr43gfrb4r2ctrt', 'Helpdesk', 'View and chat', 'devices', '["device.view","device.chat","device.message"]', false, '', '2026-12-07 21:39:14.556169+00');


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_migrations VALUES ('0001_init', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0002_agents', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0003_preferences', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0004_device_search', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0005_two_factor', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0006_directory', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0007_outbox', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0008_sso', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0009_hardening', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0010_session_method', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0011_device_search_text', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0012_device_search_folded', '2026-12-07T21:39:13Z');
INSERT INTO public.schema_migrations VALUES ('0013_rule_applied_waiting', '2026-12-07T21:39:13Z');


--
-- Data for Name: sign_in_challenges; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: sso_assertions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: sso_requests; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: two_factor_recovery_codes; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: user_group_members; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.user_group_members VALUES ('acc_hkr43gfrb4r2ctrt', 'ugr_qaldw6jankx4qbl2', 'usr_wmnmxv22oibpufqa');
INSERT INTO public.user_group_members VALUES ('acc_hkr43gfrb4r2ctrt', 'ugr_qaldw6jankx4qbl2', 'usr_x5z72ele25lpstv5');


--
-- Data for Name: user_groups; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.user_groups VALUES ('ugr_qaldw6jankx4qbl2', 'acc_hkr43gfrb4r2ctrt', 'Support', 'First line', '2026-12-07 21:39:14.518451+00');


--
-- Data for Name: user_preferences; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: user_two_factor; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES ('usr_qrtjm3lirct4dqlj', 'acc_hkr43gfrb4r2ctrt', 'owner@fixture.portico.test', 'Oscar Owner', true, 'activated', 'active', '', 'en-GB', 'system', '$argon2id$v=19$m=19456,t=2,p=1$PExoDWwOl6MWnfTTQLBMHQ$NWeUWH1RK0kjuV1GGPrnRvgNvHxw+4MK4p+4KSHRcdg', '2026-12-07 21:39:13.415174+00', '2026-12-07 21:39:13.415174+00');
INSERT INTO public.users VALUES ('usr_wmnmxv22oibpufqa', 'acc_hkr43gfrb4r2ctrt', 'alice@fixture.portico.test', 'Alice Technician', false, 'activated', 'active', '', 'en-GB', 'system', '$argon2id$v=19$m=19456,t=2,p=1$nobtFpOHvHhTZbxHTLSbJQ$1aWEPvyvHvJbbfsRwXtLoaIUaMOL996ugkvCGTxq16U', '2026-12-07 21:39:14.202187+00', '2026-12-07 21:39:14.202187+00');
INSERT INTO public.users VALUES ('usr_x5z72ele25lpstv5', 'acc_hkr43gfrb4r2ctrt', 'bob@fixture.portico.test', 'Bob Helpdesk', false, 'activated', 'active', '', 'en-GB', 'system', '$argon2id$v=19$m=19456,t=2,p=1$coskHkfDMILsVx8vbqonVw$h2Pu622yt7N3f8BbxUUMDMnH7hlMXN/UFWXsM7b07cI', '2026-12-07 21:39:14.348228+00', '2026-12-07 21:39:14.348228+00');
INSERT INTO public.users VALUES ('usr_wbyxrm2mhv6fzx7j', 'acc_hkr43gfrb4r2ctrt', 'carol@fixture.portico.test', 'Carol Invited', false, 'invited', 'active', '', 'en-GB', 'system', '', '2026-12-07 21:39:14.452943+00', NULL);


--
-- Data for Name: web_sessions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Name: device_history_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.device_history_seq_seq', 9, true);


--
-- Name: account_policies account_policies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account_policies
    ADD CONSTRAINT account_policies_pkey PRIMARY KEY (account_id);


--
-- Name: account_sso account_sso_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account_sso
    ADD CONSTRAINT account_sso_pkey PRIMARY KEY (account_id);


--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);


--
-- Name: api_keys api_keys_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_hash_key UNIQUE (hash);


--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);


--
-- Name: assignment_rules assignment_rules_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assignment_rules
    ADD CONSTRAINT assignment_rules_pkey PRIMARY KEY (id);


--
-- Name: assignments assignments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assignments
    ADD CONSTRAINT assignments_pkey PRIMARY KEY (id);


--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);


--
-- Name: audit_events audit_events_seq_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_seq_key UNIQUE (account_id, seq);


--
-- Name: audit_heads audit_heads_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_heads
    ADD CONSTRAINT audit_heads_pkey PRIMARY KEY (account_id);


--
-- Name: device_groups device_groups_account_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_groups
    ADD CONSTRAINT device_groups_account_id_key UNIQUE (account_id, id);


--
-- Name: device_groups device_groups_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_groups
    ADD CONSTRAINT device_groups_pkey PRIMARY KEY (id);


--
-- Name: device_history device_history_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_history
    ADD CONSTRAINT device_history_id_key UNIQUE (id);


--
-- Name: device_history device_history_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_history
    ADD CONSTRAINT device_history_pkey PRIMARY KEY (seq);


--
-- Name: device_inventory device_inventory_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_inventory
    ADD CONSTRAINT device_inventory_pkey PRIMARY KEY (device_id);


--
-- Name: devices devices_account_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.devices
    ADD CONSTRAINT devices_account_id_key UNIQUE (account_id, id);


--
-- Name: devices devices_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.devices
    ADD CONSTRAINT devices_pkey PRIMARY KEY (id);


--
-- Name: directory_configs directory_configs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_configs
    ADD CONSTRAINT directory_configs_pkey PRIMARY KEY (account_id);


--
-- Name: directory_groups directory_groups_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_groups
    ADD CONSTRAINT directory_groups_pkey PRIMARY KEY (group_id);


--
-- Name: directory_jobs directory_jobs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_jobs
    ADD CONSTRAINT directory_jobs_pkey PRIMARY KEY (id);


--
-- Name: directory_users directory_users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_users
    ADD CONSTRAINT directory_users_pkey PRIMARY KEY (user_id);


--
-- Name: enrollment_tokens enrollment_tokens_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollment_tokens
    ADD CONSTRAINT enrollment_tokens_hash_key UNIQUE (hash);


--
-- Name: enrollment_tokens enrollment_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollment_tokens
    ADD CONSTRAINT enrollment_tokens_pkey PRIMARY KEY (id);


--
-- Name: favourites favourites_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.favourites
    ADD CONSTRAINT favourites_pkey PRIMARY KEY (user_id, device_id);


--
-- Name: invitations invitations_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT invitations_hash_key UNIQUE (hash);


--
-- Name: invitations invitations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT invitations_pkey PRIMARY KEY (id);


--
-- Name: legal_acceptances legal_acceptances_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.legal_acceptances
    ADD CONSTRAINT legal_acceptances_pkey PRIMARY KEY (user_id, document, version);


--
-- Name: mail_outbox mail_outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mail_outbox
    ADD CONSTRAINT mail_outbox_pkey PRIMARY KEY (id);


--
-- Name: remote_sessions remote_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.remote_sessions
    ADD CONSTRAINT remote_sessions_pkey PRIMARY KEY (id);


--
-- Name: roles roles_account_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_account_id_key UNIQUE (account_id, id);


--
-- Name: roles roles_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: sign_in_challenges sign_in_challenges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sign_in_challenges
    ADD CONSTRAINT sign_in_challenges_pkey PRIMARY KEY (hash);


--
-- Name: sso_assertions sso_assertions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sso_assertions
    ADD CONSTRAINT sso_assertions_pkey PRIMARY KEY (account_id, id);


--
-- Name: sso_requests sso_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sso_requests
    ADD CONSTRAINT sso_requests_pkey PRIMARY KEY (id);


--
-- Name: two_factor_recovery_codes two_factor_recovery_codes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.two_factor_recovery_codes
    ADD CONSTRAINT two_factor_recovery_codes_pkey PRIMARY KEY (user_id, hash);


--
-- Name: user_group_members user_group_members_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group_members
    ADD CONSTRAINT user_group_members_pkey PRIMARY KEY (group_id, user_id);


--
-- Name: user_groups user_groups_account_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_groups
    ADD CONSTRAINT user_groups_account_id_key UNIQUE (account_id, id);


--
-- Name: user_groups user_groups_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_groups
    ADD CONSTRAINT user_groups_pkey PRIMARY KEY (id);


--
-- Name: user_preferences user_preferences_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_preferences
    ADD CONSTRAINT user_preferences_pkey PRIMARY KEY (user_id, key);


--
-- Name: user_two_factor user_two_factor_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_two_factor
    ADD CONSTRAINT user_two_factor_pkey PRIMARY KEY (user_id);


--
-- Name: users users_account_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_account_id_key UNIQUE (account_id, id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: web_sessions web_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.web_sessions
    ADD CONSTRAINT web_sessions_pkey PRIMARY KEY (hash);


--
-- Name: api_keys_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX api_keys_account ON public.api_keys USING btree (account_id);


--
-- Name: assignment_rules_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX assignment_rules_account ON public.assignment_rules USING btree (account_id, "position");


--
-- Name: assignments_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX assignments_account ON public.assignments USING btree (account_id);


--
-- Name: assignments_principal; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX assignments_principal ON public.assignments USING btree (principal_id);


--
-- Name: assignments_role; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX assignments_role ON public.assignments USING btree (role_id);


--
-- Name: assignments_scope; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX assignments_scope ON public.assignments USING btree (scope_id);


--
-- Name: audit_events_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_events_at ON public.audit_events USING btree (account_id, at);


--
-- Name: device_groups_name; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX device_groups_name ON public.device_groups USING btree (account_id, COALESCE(parent_id, ''::text), name);


--
-- Name: device_groups_parent; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX device_groups_parent ON public.device_groups USING btree (parent_id);


--
-- Name: device_history_device; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX device_history_device ON public.device_history USING btree (device_id, at);


--
-- Name: devices_account_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX devices_account_name ON public.devices USING btree (account_id, name COLLATE "C", id COLLATE "C");


--
-- Name: devices_group; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX devices_group ON public.devices USING btree (group_id);


--
-- Name: devices_search_hostname; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX devices_search_hostname ON public.devices USING gin (search_hostname public.gin_trgm_ops);


--
-- Name: devices_search_ips; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX devices_search_ips ON public.devices USING gin (search_ips public.gin_trgm_ops);


--
-- Name: devices_search_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX devices_search_name ON public.devices USING gin (search_name public.gin_trgm_ops);


--
-- Name: devices_search_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX devices_search_user ON public.devices USING gin (search_user public.gin_trgm_ops);


--
-- Name: directory_groups_dn; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX directory_groups_dn ON public.directory_groups USING btree (account_id, dn_key);


--
-- Name: directory_jobs_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX directory_jobs_account ON public.directory_jobs USING btree (account_id, created_at);


--
-- Name: directory_users_dn; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX directory_users_dn ON public.directory_users USING btree (account_id, dn_key);


--
-- Name: enrollment_tokens_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX enrollment_tokens_account ON public.enrollment_tokens USING btree (account_id);


--
-- Name: favourites_device; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX favourites_device ON public.favourites USING btree (device_id);


--
-- Name: invitations_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invitations_user ON public.invitations USING btree (user_id);


--
-- Name: mail_outbox_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX mail_outbox_due ON public.mail_outbox USING btree (next_attempt_at);


--
-- Name: mail_outbox_ref; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX mail_outbox_ref ON public.mail_outbox USING btree (account_id, ref);


--
-- Name: remote_sessions_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX remote_sessions_account ON public.remote_sessions USING btree (account_id, state, started_at);


--
-- Name: remote_sessions_device; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX remote_sessions_device ON public.remote_sessions USING btree (device_id);


--
-- Name: roles_name; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX roles_name ON public.roles USING btree (account_id, name);


--
-- Name: sso_assertions_expiry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sso_assertions_expiry ON public.sso_assertions USING btree (expires_at);


--
-- Name: sso_requests_expiry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sso_requests_expiry ON public.sso_requests USING btree (expires_at);


--
-- Name: user_group_members_account; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_group_members_account ON public.user_group_members USING btree (account_id);


--
-- Name: user_group_members_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_group_members_user ON public.user_group_members USING btree (user_id);


--
-- Name: user_groups_name; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX user_groups_name ON public.user_groups USING btree (account_id, name);


--
-- Name: users_email; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX users_email ON public.users USING btree (email);


--
-- Name: users_one_owner; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX users_one_owner ON public.users USING btree (account_id) WHERE owner;


--
-- Name: web_sessions_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX web_sessions_user ON public.web_sessions USING btree (user_id);


--
-- Name: account_policies account_policies_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account_policies
    ADD CONSTRAINT account_policies_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id) ON DELETE CASCADE;


--
-- Name: account_sso account_sso_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account_sso
    ADD CONSTRAINT account_sso_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id) ON DELETE CASCADE;


--
-- Name: api_keys api_keys_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: assignment_rules assignment_rules_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assignment_rules
    ADD CONSTRAINT assignment_rules_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: assignment_rules assignment_rules_account_id_target_group_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assignment_rules
    ADD CONSTRAINT assignment_rules_account_id_target_group_id_fkey FOREIGN KEY (account_id, target_group_id) REFERENCES public.device_groups(account_id, id);


--
-- Name: assignments assignments_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assignments
    ADD CONSTRAINT assignments_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: assignments assignments_account_id_role_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.assignments
    ADD CONSTRAINT assignments_account_id_role_id_fkey FOREIGN KEY (account_id, role_id) REFERENCES public.roles(account_id, id) ON DELETE CASCADE;


--
-- Name: audit_events audit_events_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: audit_heads audit_heads_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_heads
    ADD CONSTRAINT audit_heads_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: device_groups device_groups_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_groups
    ADD CONSTRAINT device_groups_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: device_groups device_groups_account_id_parent_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_groups
    ADD CONSTRAINT device_groups_account_id_parent_id_fkey FOREIGN KEY (account_id, parent_id) REFERENCES public.device_groups(account_id, id);


--
-- Name: device_history device_history_account_id_device_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_history
    ADD CONSTRAINT device_history_account_id_device_id_fkey FOREIGN KEY (account_id, device_id) REFERENCES public.devices(account_id, id) ON DELETE CASCADE;


--
-- Name: device_inventory device_inventory_account_id_device_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_inventory
    ADD CONSTRAINT device_inventory_account_id_device_id_fkey FOREIGN KEY (account_id, device_id) REFERENCES public.devices(account_id, id) ON DELETE CASCADE;


--
-- Name: devices devices_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.devices
    ADD CONSTRAINT devices_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: devices devices_account_id_group_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.devices
    ADD CONSTRAINT devices_account_id_group_id_fkey FOREIGN KEY (account_id, group_id) REFERENCES public.device_groups(account_id, id);


--
-- Name: directory_configs directory_configs_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_configs
    ADD CONSTRAINT directory_configs_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: directory_groups directory_groups_account_id_group_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_groups
    ADD CONSTRAINT directory_groups_account_id_group_id_fkey FOREIGN KEY (account_id, group_id) REFERENCES public.user_groups(account_id, id) ON DELETE CASCADE;


--
-- Name: directory_jobs directory_jobs_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_jobs
    ADD CONSTRAINT directory_jobs_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: directory_users directory_users_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.directory_users
    ADD CONSTRAINT directory_users_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: enrollment_tokens enrollment_tokens_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollment_tokens
    ADD CONSTRAINT enrollment_tokens_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: enrollment_tokens enrollment_tokens_account_id_group_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.enrollment_tokens
    ADD CONSTRAINT enrollment_tokens_account_id_group_id_fkey FOREIGN KEY (account_id, group_id) REFERENCES public.device_groups(account_id, id);


--
-- Name: favourites favourites_account_id_device_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.favourites
    ADD CONSTRAINT favourites_account_id_device_id_fkey FOREIGN KEY (account_id, device_id) REFERENCES public.devices(account_id, id) ON DELETE CASCADE;


--
-- Name: favourites favourites_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.favourites
    ADD CONSTRAINT favourites_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: invitations invitations_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT invitations_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: legal_acceptances legal_acceptances_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.legal_acceptances
    ADD CONSTRAINT legal_acceptances_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: mail_outbox mail_outbox_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mail_outbox
    ADD CONSTRAINT mail_outbox_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id) ON DELETE CASCADE;


--
-- Name: remote_sessions remote_sessions_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.remote_sessions
    ADD CONSTRAINT remote_sessions_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: roles roles_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: sign_in_challenges sign_in_challenges_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sign_in_challenges
    ADD CONSTRAINT sign_in_challenges_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: sso_assertions sso_assertions_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sso_assertions
    ADD CONSTRAINT sso_assertions_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id) ON DELETE CASCADE;


--
-- Name: sso_requests sso_requests_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sso_requests
    ADD CONSTRAINT sso_requests_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id) ON DELETE CASCADE;


--
-- Name: two_factor_recovery_codes two_factor_recovery_codes_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.two_factor_recovery_codes
    ADD CONSTRAINT two_factor_recovery_codes_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: user_group_members user_group_members_account_id_group_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group_members
    ADD CONSTRAINT user_group_members_account_id_group_id_fkey FOREIGN KEY (account_id, group_id) REFERENCES public.user_groups(account_id, id) ON DELETE CASCADE;


--
-- Name: user_group_members user_group_members_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group_members
    ADD CONSTRAINT user_group_members_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: user_groups user_groups_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_groups
    ADD CONSTRAINT user_groups_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: user_preferences user_preferences_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_preferences
    ADD CONSTRAINT user_preferences_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: user_two_factor user_two_factor_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_two_factor
    ADD CONSTRAINT user_two_factor_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- Name: users users_account_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id);


--
-- Name: web_sessions web_sessions_account_id_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.web_sessions
    ADD CONSTRAINT web_sessions_account_id_user_id_fkey FOREIGN KEY (account_id, user_id) REFERENCES public.users(account_id, id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


