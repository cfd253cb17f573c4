"""The Helm chart, loaded, linted and rendered by Helm's own Go SDK (helm-python-sdk), every
rendered manifest validated against the Kubernetes API schemas (kubernetes-validate,
strict: unknown fields are errors), and the properties that matter asserted."""

import copy
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "lumbung"
PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"
KUBE_VERSIONS = ("1.30", "1.33")

try:
    import helm_python as helm

    helm.helm_sdk_version()  # loads the native library
    _HELM_ERROR = None
except Exception as exc:  # pragma: no cover - only where the wheel has no native build
    helm = None
    _HELM_ERROR = f"{exc.__class__.__name__}: {exc}"

pytestmark = pytest.mark.skipif(
    helm is None, reason=f"Helm's Go SDK (helm-python-sdk) cannot load here: {_HELM_ERROR}"
)

BASE_SECRETS = {
    "secrets": {
        "DJANGO_SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://lumbung:pw@db.internal:5432/lumbung",
        "REDIS_URL": "redis://redis.internal:6379/0",
    }
}


def production_values() -> dict:
    return yaml.safe_load(PRODUCTION_VALUES.read_text())


def render(values: dict | None = None, *, upgrade: bool = False) -> list[dict]:
    with helm.Chart.load(CHART) as chart:
        files = chart.render(
            values or {},
            name="lumbung",
            namespace="lumbung",
            is_install=not upgrade,
            is_upgrade=upgrade,
        )
    docs = []
    for path, text in sorted(files.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc["__file__"] = path
                docs.append(doc)
    return docs


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def strip(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "__file__"}


@pytest.fixture(scope="module")
def default_docs() -> list[dict]:
    return render()


@pytest.fixture(scope="module")
def prod_docs() -> list[dict]:
    return render(production_values(), upgrade=True)


# --- Helm's own checks ------------------------------------------------------------------


@pytest.mark.parametrize("values_name", ["default", "production"])
def test_chart_passes_helm_lint_strict(values_name):
    values = production_values() if values_name == "production" else None
    report = helm.lint(str(CHART), values, strict=True, kube_version="v1.30.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


def test_values_schema_accepts_defaults_and_production_values():
    with helm.Chart.load(CHART) as chart:
        assert chart.schema is not None
        chart.validate_schema(None)
        chart.validate_schema(production_values())


@pytest.mark.parametrize(
    "values, complaint",
    [
        ({"web": {"replicas": 3}}, "replicas"),
        ({"domain": "Koperasi Example"}, "domain"),
        ({"image": {"pullPolicy": "Sometimes"}}, "pullPolicy"),
        ({"postgresql": {"enabled": True, "auth": {"password": "short"}}}, "password"),
        ({"secrets": {"django_secret_key": "x"}}, "django_secret_key"),
    ],
)
def test_values_schema_rejects_mistakes(values, complaint):
    with helm.Chart.load(CHART) as chart, pytest.raises(helm.HelmError, match=complaint):
        chart.render(values, name="lumbung", namespace="lumbung")


# --- Kubernetes schemas ------------------------------------------------------------------


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize(
    "values_name", ["default", "production", "bundled-services", "existing-secret-bundled"]
)
def test_every_rendered_manifest_is_valid_kubernetes(values_name, kube_version):
    import kubernetes_validate

    values = {
        "default": {},
        "production": production_values(),
        "bundled-services": {
            "postgresql": {"enabled": True, "auth": {"password": "evaluation-pw"}},
            "redis": {"enabled": True},
            "web": {"autoscaling": {"enabled": True}},
            "media": {"persistence": {"enabled": True}},
        },
        "existing-secret-bundled": {
            "existingSecret": "mine",
            "postgresql": {"enabled": True, "auth": {"password": "evaluation-pw"}},
            "beat": {"enabled": False},
            "ingress": {"wildcard": False, "tls": {"enabled": False}},
        },
    }[values_name]
    docs = render(values)
    assert len(docs) >= 10
    for doc in docs:
        kubernetes_validate.validate(strip(doc), kube_version, strict=True)


def test_kubernetes_validation_would_catch_a_broken_manifest(default_docs):
    import kubernetes_validate

    web = copy.deepcopy(by_kind(default_docs, "Deployment")["lumbung-web"])
    web["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGets"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(strip(web), "1.30", strict=True)


# --- What the chart must do ----------------------------------------------------------------


def test_default_install_has_the_expected_objects(default_docs):
    kinds = {(d["kind"], d["metadata"]["name"]) for d in default_docs}
    assert {
        ("Deployment", "lumbung-web"),
        ("Deployment", "lumbung-worker"),
        ("Deployment", "lumbung-beat"),
        ("Job", "lumbung-migrate"),
        ("Service", "lumbung-web"),
        ("Ingress", "lumbung"),
        ("ConfigMap", "lumbung-config"),
        ("Secret", "lumbung-secrets"),
        ("PodDisruptionBudget", "lumbung-web"),
        ("PodDisruptionBudget", "lumbung-worker"),
        ("ServiceAccount", "lumbung"),
    } <= kinds
    # External PostgreSQL and Redis by default; no HPA unless asked for.
    assert not by_kind(default_docs, "StatefulSet")
    assert not by_kind(default_docs, "HorizontalPodAutoscaler")


def _pod(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]


def _app_pods(docs: list[dict]) -> dict[str, dict]:
    pods = {name: _pod(d) for name, d in by_kind(docs, "Deployment").items()}
    pods.update({name: _pod(d) for name, d in by_kind(docs, "Job").items()})
    return pods


@pytest.mark.parametrize("docs_name", ["default_docs", "prod_docs"])
def test_every_app_pod_runs_non_root_read_only_without_token(docs_name, request):
    pods = _app_pods(request.getfixturevalue(docs_name))
    assert set(pods) >= {"lumbung-web", "lumbung-worker", "lumbung-beat", "lumbung-migrate"}
    for name, pod in pods.items():
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        tmp = {v["name"]: v for v in pod["volumes"]}["tmp"]
        assert "emptyDir" in tmp, name
        for container in pod["containers"] + pod.get("initContainers", []):
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert sc["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert sc["capabilities"]["drop"] == ["ALL"], (name, container["name"])
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, (name, container["name"])
            assert container["resources"]["requests"], (name, container["name"])
            assert container["resources"]["limits"]["memory"], (name, container["name"])


def test_service_account_has_no_token(default_docs):
    assert (
        by_kind(default_docs, "ServiceAccount")["lumbung"]["automountServiceAccountToken"] is False
    )


def test_web_probes_use_healthz_and_readyz(default_docs):
    web = _pod(by_kind(default_docs, "Deployment")["lumbung-web"])["containers"][0]
    assert web["args"] == ["web"]
    assert web["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["ports"][0] == {"name": "http", "containerPort": 8000, "protocol": "TCP"}


def test_worker_probes_ping_their_own_celery_node(default_docs):
    worker = _pod(by_kind(default_docs, "Deployment")["lumbung-worker"])["containers"][0]
    assert worker["args"] == ["worker"]
    for probe in ("livenessProbe", "startupProbe"):
        command = " ".join(worker[probe]["exec"]["command"])
        assert "celery --app lumbung inspect ping --destination celery@$HOSTNAME" in command


def test_beat_is_a_single_replica_recreated(default_docs):
    beat = by_kind(default_docs, "Deployment")["lumbung-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert _pod(beat)["containers"][0]["args"] == ["beat"]
    assert "lumbung-beat" not in by_kind(default_docs, "HorizontalPodAutoscaler")


@pytest.mark.parametrize("docs_name", ["default_docs", "prod_docs"])
def test_ingress_serves_apex_and_wildcard_with_tls(docs_name, request):
    docs = request.getfixturevalue(docs_name)
    domain = "koperasi.example.id" if docs_name == "prod_docs" else "lumbung.example.id"
    ingress = by_kind(docs, "Ingress")["lumbung"]
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert hosts == [domain, f"*.{domain}"]
    assert ingress["spec"]["tls"][0]["hosts"] == [domain, f"*.{domain}"]
    for rule in ingress["spec"]["rules"]:
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": "lumbung-web", "port": {"name": "http"}}
    if docs_name == "prod_docs":
        assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == (
            "letsencrypt-dns01"
        )
        assert ingress["spec"]["tls"][0]["secretName"] == "koperasi-wildcard-tls"
        assert ingress["spec"]["ingressClassName"] == "nginx"


def test_ingress_routes_the_cooperatives_own_domains_with_their_own_certificate(default_docs):
    assert len(by_kind(default_docs, "Ingress")["lumbung"]["spec"]["tls"]) == 1
    values = {"ingress": {"extraHosts": ["kpri-alpha.contoh.id", "koperasi-beta.or.id"]}}
    ingress = by_kind(render(values), "Ingress")["lumbung"]
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert hosts == [
        "lumbung.example.id",
        "*.lumbung.example.id",
        "kpri-alpha.contoh.id",
        "koperasi-beta.or.id",
    ]
    main, extra = ingress["spec"]["tls"]
    assert main["hosts"] == ["lumbung.example.id", "*.lumbung.example.id"]
    assert extra == {
        "hosts": ["kpri-alpha.contoh.id", "koperasi-beta.or.id"],
        "secretName": "lumbung-extra-tls",
    }


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook_after_its_config(default_docs):
    job = by_kind(default_docs, "Job")["lumbung-migrate"]
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    assert job["spec"]["activeDeadlineSeconds"] == 3600
    assert job["spec"]["backoffLimit"] == 1
    pod = _pod(job)
    assert pod["restartPolicy"] == "Never"
    assert pod["initContainers"][0]["args"] == ["wait-db"]
    assert pod["containers"][0]["args"] == ["migrate"]

    # The Job reads hook copies of the ConfigMap and Secret, created before it (lower weight):
    # on a first install the release's own objects do not exist yet when hooks run.
    sources = {next(iter(ref.values()))["name"] for ref in pod["containers"][0]["envFrom"]}
    assert sources == {"lumbung-migrate-config", "lumbung-migrate-secrets"}
    hooks = [d for d in default_docs if "helm.sh/hook" in d["metadata"].get("annotations", {})]
    weight = {
        d["metadata"]["name"]: int(d["metadata"]["annotations"]["helm.sh/hook-weight"])
        for d in hooks
    }
    assert weight["lumbung-migrate-config"] < weight["lumbung-migrate"]
    assert weight["lumbung-migrate-secrets"] < weight["lumbung-migrate"]
    for doc in hooks:
        assert doc["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    config = by_kind(default_docs, "ConfigMap")
    assert config["lumbung-migrate-config"]["data"] == config["lumbung-config"]["data"]


def test_migration_waits_for_a_bundled_database_after_install():
    docs = render({"postgresql": {"enabled": True, "auth": {"password": "evaluation-pw"}}})
    job = by_kind(docs, "Job")["lumbung-migrate"]
    # A pre-install hook would run before the bundled PostgreSQL exists.
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"


def test_checksums_roll_pods_when_configuration_changes():
    def checksums(values):
        deployments = by_kind(render(values), "Deployment")
        return {
            name: d["spec"]["template"]["metadata"]["annotations"]
            for name, d in deployments.items()
        }

    base = checksums(BASE_SECRETS)
    changed_config = checksums({**BASE_SECRETS, "config": {"logLevel": "DEBUG"}})
    changed_secret = checksums(
        {"secrets": {**BASE_SECRETS["secrets"], "DJANGO_SECRET_KEY": "y" * 50}}
    )
    for name in ("lumbung-web", "lumbung-worker", "lumbung-beat"):
        assert re.fullmatch(r"[0-9a-f]{64}", base[name]["checksum/config"])
        assert changed_config[name]["checksum/config"] != base[name]["checksum/config"]
        assert changed_config[name]["checksum/secret"] == base[name]["checksum/secret"]
        assert changed_secret[name]["checksum/secret"] != base[name]["checksum/secret"]
        assert changed_secret[name]["checksum/config"] == base[name]["checksum/config"]


def test_secret_holds_only_given_settings(default_docs):
    import base64

    docs = render(BASE_SECRETS)
    data = by_kind(docs, "Secret")["lumbung-secrets"]["data"]
    assert set(data) == {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    assert (
        base64.b64decode(data["DATABASE_URL"]).decode() == BASE_SECRETS["secrets"]["DATABASE_URL"]
    )
    # Nothing secret in the ConfigMap.
    config = by_kind(docs, "ConfigMap")["lumbung-config"]["data"]
    assert not {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} & set(config)


def test_existing_secret_replaces_the_charts_secret(prod_docs):
    assert not by_kind(prod_docs, "Secret")
    for name, pod in _app_pods(prod_docs).items():
        refs = [
            ref["secretRef"]["name"]
            for ref in pod["containers"][0]["envFrom"]
            if "secretRef" in ref
        ]
        assert refs == ["lumbung-production-secrets"], name


def test_config_map_carries_the_domain_and_production_settings(prod_docs):
    data = by_kind(prod_docs, "ConfigMap")["lumbung-config"]["data"]
    assert data["DJANGO_ENV"] == "production"
    assert data["BASE_DOMAIN"] == "koperasi.example.id"
    assert data["ALLOWED_HOSTS"] == "koperasi.example.id,.koperasi.example.id"
    assert data["CSRF_TRUSTED_ORIGINS"] == (
        "https://koperasi.example.id,https://*.koperasi.example.id"
    )
    assert data["SITE_SCHEME"] == "https" and data["SITE_PORT"] == ""
    assert data["LUMBUNG_RELEASE"] == "2026.11.29-6e2454a"
    assert data["SENTRY_TRACES_SAMPLE_RATE"] == "0.05"
    assert data["MIGRATE_PROCESSES"] == "4"
    assert all(isinstance(v, str) for v in data.values())


def test_autoscaling_and_disruption_budgets_target_the_right_pods(prod_docs):
    deployments = by_kind(prod_docs, "Deployment")
    hpas = by_kind(prod_docs, "HorizontalPodAutoscaler")
    assert set(hpas) == {"lumbung-web", "lumbung-worker"}
    for name, hpa in hpas.items():
        assert hpa["spec"]["scaleTargetRef"]["name"] == name
        assert "replicas" not in deployments[name]["spec"]  # the HPA owns the count
    assert hpas["lumbung-web"]["spec"]["minReplicas"] == 3
    for name, pdb in by_kind(prod_docs, "PodDisruptionBudget").items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    # Selectors of different components never overlap.
    selectors = [
        tuple(sorted(d["spec"]["selector"]["matchLabels"].items())) for d in deployments.values()
    ]
    assert len(set(selectors)) == len(selectors)


def test_service_selects_only_web_pods(default_docs):
    service = by_kind(default_docs, "Service")["lumbung-web"]
    web_labels = by_kind(default_docs, "Deployment")["lumbung-web"]["spec"]["template"]["metadata"][
        "labels"
    ]
    assert service["spec"]["selector"] == web_labels
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_metrics_are_announced_to_prometheus(default_docs):
    deployments = by_kind(default_docs, "Deployment")
    web = deployments["lumbung-web"]["spec"]["template"]["metadata"]["annotations"]
    worker = deployments["lumbung-worker"]["spec"]["template"]["metadata"]["annotations"]
    assert (web["prometheus.io/port"], web["prometheus.io/path"]) == ("8000", "/metrics")
    assert worker["prometheus.io/port"] == "9808"
    worker_container = _pod(deployments["lumbung-worker"])["containers"][0]
    assert worker_container["ports"][0]["containerPort"] == 9808


def test_bundled_services_are_wired_into_the_app():
    docs = render(
        {
            "postgresql": {"enabled": True, "auth": {"password": "evaluation-pw"}},
            "redis": {"enabled": True},
        }
    )
    assert set(by_kind(docs, "StatefulSet")) == {"lumbung-postgresql", "lumbung-redis"}
    env = {
        e["name"]: e
        for e in _pod(by_kind(docs, "Deployment")["lumbung-web"])["containers"][0]["env"]
    }
    assert env["DATABASE_URL"]["value"] == (
        "postgres://lumbung:$(POSTGRES_PASSWORD)@lumbung-postgresql:5432/lumbung"
    )
    assert env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "lumbung-postgresql"
    assert env["REDIS_URL"]["value"] == "redis://lumbung-redis:6379/0"
    names = list(env)
    assert names.index("POSTGRES_PASSWORD") < names.index("DATABASE_URL")  # $(VAR) expansion


def test_bundled_postgresql_needs_a_password():
    with helm.Chart.load(CHART) as chart, pytest.raises(helm.HelmError, match="password"):
        chart.render({"postgresql": {"enabled": True}}, name="lumbung", namespace="lumbung")


def test_media_claim_is_mounted_by_web_and_worker(prod_docs):
    claims = by_kind(prod_docs, "PersistentVolumeClaim")
    assert claims["lumbung-media"]["spec"]["accessModes"] == ["ReadWriteMany"]
    for name in ("lumbung-web", "lumbung-worker"):
        volumes = {v["name"]: v for v in _pod(by_kind(prod_docs, "Deployment")[name])["volumes"]}
        assert volumes["media"]["persistentVolumeClaim"]["claimName"] == "lumbung-media"


def test_notes_warn_about_missing_secrets():
    with helm.Chart.load(CHART) as chart:
        notes = chart.render({}, name="lumbung", namespace="lumbung")["lumbung/templates/NOTES.txt"]
        assert "DJANGO_SECRET_KEY" in notes and "DATABASE_URL" in notes
        notes = chart.render(production_values(), name="lumbung", namespace="lumbung")[
            "lumbung/templates/NOTES.txt"
        ]
        assert "WARNING" not in notes


# --- The chart README documents every value --------------------------------------------------


# Values documented as one object rather than key by key.
_WHOLE_VALUES = {"resources", "extra", "podSecurityContext", "containerSecurityContext"}


def _leaf_paths(values: dict, prefix: str = "") -> list[str]:
    paths = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in _WHOLE_VALUES:
            paths.extend(_leaf_paths(value, path + "."))
        else:
            paths.append(path)
    return paths


def test_readme_documents_every_value():
    readme = (CHART / "README.md").read_text()
    documented = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE))
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    missing = [p for p in _leaf_paths(values) if p not in documented]
    assert missing == []
    unknown = [p for p in documented if p not in _leaf_paths(values)]
    assert unknown == []
    assert "dns01" in readme and "cert-manager.io/cluster-issuer" in readme


def test_pgbouncer_option_runs_transaction_mode_and_sets_the_app_mode():
    docs = render({"pgbouncer": {"enabled": True}, "secrets": {"PGBOUNCER_DATABASE_URL": "x"}})
    bouncer = by_kind(docs, "Deployment")["lumbung-pgbouncer"]
    env = {e["name"]: e for e in _pod(bouncer)["containers"][0]["env"]}
    assert env["POOL_MODE"]["value"] == "transaction"
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "PGBOUNCER_DATABASE_URL"
    assert "lumbung-pgbouncer" in by_kind(docs, "Service")
    config = by_kind(docs, "ConfigMap")
    assert any(c.get("data", {}).get("DB_POOL_MODE") == "transaction" for c in config.values())
    # Without the option nothing changes: session mode, no PgBouncer.
    plain = render()
    assert "lumbung-pgbouncer" not in by_kind(plain, "Deployment")
    assert any(
        c.get("data", {}).get("DB_POOL_MODE") == "session"
        for c in by_kind(plain, "ConfigMap").values()
    )


def test_api_throttle_rate_is_a_chart_value_in_the_config_map(default_docs):
    """``API_THROTTLE_RATE`` (settings, deploy/.env.example) is set the way the other
    settings are: ``config.apiThrottleRate``, its default the settings' own."""
    data = by_kind(default_docs, "ConfigMap")["lumbung-config"]["data"]
    assert data["API_THROTTLE_RATE"] == "600/minute"
    docs = render({"config": {"apiThrottleRate": "20/second"}})
    assert by_kind(docs, "ConfigMap")["lumbung-config"]["data"]["API_THROTTLE_RATE"] == (
        "20/second"
    )


@pytest.mark.parametrize("rate", ["600 per minute", "0/minute", "600/week", ""])
def test_values_schema_refuses_an_api_throttle_rate_the_settings_would_refuse(rate):
    with helm.Chart.load(CHART) as chart, pytest.raises(helm.HelmError, match="apiThrottleRate"):
        chart.render({"config": {"apiThrottleRate": rate}}, name="lumbung", namespace="lumbung")
