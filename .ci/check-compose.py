"""Checks deploy/compose.yaml without a container engine (called by .ci/check-deploy).

Parses it as YAML and checks what matters to quietline: the services are there, both
instances share the database but not a data volume, the database URL and password come
from secret files and never appear inline, nothing is published on the host, and the
onion service in torrc.compose points at the proxy, whose nginx.compose.conf sends requests
to both instances' fixed addresses. Prints one line per
check; exits 1 if any failed.
"""
import re
import sys

import yaml

compose_path, torrc_path, nginx_path = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(compose_path).read()
doc = yaml.safe_load(text)
failures = []


def check(ok, what):
    print(("ok      " if ok else "FAILED  ") + f"{compose_path}: {what}")
    if not ok:
        failures.append(what)


services = doc.get("services", {})
check({"postgres", "quietline-a", "quietline-b", "proxy", "tor"} <= set(services),
      "services postgres, quietline-a, quietline-b, proxy and tor")
# A password in a URL (scheme://user:password@) or a variable set inline.
# (The comments show how to write the secret files, with a placeholder.)
code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
check(not re.search(r"://[^/\s:@]+:[^@\s/]+@", code), "no URL with a password inline")
for name, service in services.items():
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    check(not any(k in env for k in ("POSTGRES_PASSWORD", "QUIETLINE_DATABASE_URL", "PGPASSWORD")),
          f"{name}: no password or database URL in its environment")
    check("ports" not in service, f"{name}: publishes no port on the host")
pg_env = services["postgres"].get("environment", {})
check(pg_env.get("POSTGRES_PASSWORD_FILE", "").startswith("/run/secrets/"),
      "postgres reads its password from a secret file")
secrets = doc.get("secrets", {})
check(all("file" in s for s in secrets.values()), "every secret is a file")
volumes = []
for name in ("quietline-a", "quietline-b"):
    s = services[name]
    env = s.get("environment", {})
    url_file = env.get("QUIETLINE_DATABASE_URL_FILE", "")
    check(url_file.startswith("/run/secrets/") and url_file.rsplit("/", 1)[1] in s.get("secrets", [])
          and url_file.rsplit("/", 1)[1] in secrets,
          f"{name}: database URL from a secret file (--database-url-file)")
    check(s.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
          f"{name}: starts once postgres is healthy")
    check("db" in s.get("networks", {}), f"{name}: on the database network")
    volumes.append(tuple(s.get("volumes", [])))
check(len(set(volumes)) == 2 and all(volumes), "each instance has its own data volume")
check(doc.get("networks", {}).get("db", {}).get("internal") is True,
      "the database network has no route out")
addresses = [services[n]["networks"]["onion"]["ipv4_address"] for n in ("quietline-a", "quietline-b")]
proxy = services["proxy"]
proxy_address = proxy["networks"]["onion"]["ipv4_address"]
mounts = {v.split(":")[1]: v.split(":")[0] for v in proxy.get("volumes", [])}
proxy_conf = mounts.get("/etc/nginx/nginx.conf", "")
check(proxy_conf == "./" + nginx_path.rsplit("/", 1)[1], f"proxy runs {nginx_path}")
upstreams = re.findall(r"^\s*server\s+([\d.]+):8080\b", open(nginx_path).read(), re.M)
check(sorted(upstreams) == sorted(addresses),
      f"{nginx_path} sends requests to both instances ({', '.join(upstreams)})")
targets = re.findall(r"^HiddenServicePort\s+80\s+([\d.]+):8080", open(torrc_path).read(), re.M)
check(targets == [proxy_address],
      f"{torrc_path} sends the onion service to the proxy ({', '.join(targets)})")
sys.exit(1 if failures else 0)
