{ ... }: {
  nixos = { config, ... }: {
    secrets.wg-key = { generator = { mkWireguard }: mkWireguard { }; };
    networking.wireguard.interfaces.wg0.privateKeyFile = "/run/secrets/wg-key/secret";
  };
}
