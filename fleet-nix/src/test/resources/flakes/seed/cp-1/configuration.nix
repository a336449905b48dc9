{ config, ... }: {
  secrets.gitlab-db = {
    generator = { mkPassword }: mkPassword { };
    owner = "gitlab";
    group = "gitlab";
    mode = "0440";
  };
  services.gitlab.dbFile = "/run/secrets/gitlab-db/secret";
}
