# This file contains fleet state and shouldn't be edited by hand

{
  version = "0.1.0";
  hostSecrets = {
    controlplane-1 = {
      gitlab-db = {
        createdAt = "2026-12-01T00:00:00Z";
        secret.raw = ''
          <ENCRYPTED><BASE64-ENCODED>
          YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IG5vdC1yZWFsbHktZW5jcnlwdGVk
        '';
      };
    };
  };
  sharedSecrets = {
    cluster-token = {
      owners = [ "controlplane-1" "a" "c" ];
      createdAt = "2026-12-01T00:00:00Z";
      public.raw = ''
        <PLAINTEXT-NL>
        token-id-1234
      '';
      secret.raw = ''
        <ENCRYPTED><BASE64-ENCODED>
        YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IGFsc28tbm90LWVuY3J5cHRlZA
      '';
    };
  };
}
