"""Starting Spark: what the engine needs installed, and a session for a master URL."""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING

from opendata.errors import CouldNotRun

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
MASTER_VARIABLE = "OPENDATA_SPARK_MASTER"


def master_url(master: str | None) -> str:
    """The master to use: the option, else $OPENDATA_SPARK_MASTER, else local[*]."""
    return master or os.environ.get(MASTER_VARIABLE) or DEFAULT_MASTER


def require() -> None:
    """Raise CouldNotRun (exit 2) with the fix when pyspark, pandas 2 or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise CouldNotRun(
            "--engine spark needs pyspark, which is not installed",
            hint="pip install 'opendata[spark]'",
        ) from None
    import pandas

    if int(pandas.__version__.split(".")[0]) >= 3:
        raise CouldNotRun(
            f"--engine spark needs pandas 2.x (pandera.pyspark fails on pandas {pandas.__version__})",
            hint="pip install 'opendata[spark]' in its own virtual environment",
        )
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and os.path.exists(f"{java_home}/bin/java")):
        raise CouldNotRun(
            "--engine spark needs Java 17 or later, and no `java` is on PATH",
            hint="apt-get install openjdk-17-jre-headless, or set JAVA_HOME",
        )


def _on_this_machine(master: str) -> bool:
    return master.startswith("local") or any(
        host in master for host in ("//127.0.0.1", "//localhost")
    )


def session(master: str | None = None) -> SparkSession:
    """A Spark session for the master (see `master_url`); reuses one already running.

    On this machine (a local master, or a standalone one on 127.0.0.1) the driver listens on
    127.0.0.1 only, and workers run this interpreter. On a cluster, spark-submit's settings
    (or spark-defaults.conf) decide memory, cores and hosts.
    """
    require()
    from pyspark.sql import SparkSession

    url = master_url(master)
    # Under spark-submit (which starts the JVM and hands Python its gateway), the master and
    # every setting come from spark-submit unless a master was asked for here.
    submitted = (
        "PYSPARK_GATEWAY_PORT" in os.environ and not master and MASTER_VARIABLE not in os.environ
    )
    builder = SparkSession.builder if submitted else SparkSession.builder.master(url)
    builder = (
        builder.appName("opendata validate")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # Nulls, not errors, for a division by zero or a cast that does not fit: the local
        # engine's (pandas's) arithmetic gives NaN or null there, and checks then fail, not crash.
        .config("spark.sql.ansi.enabled", "false")
    )
    if not submitted and _on_this_machine(url):
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.pyspark.python", sys.executable)
            .config("spark.pyspark.driver.python", sys.executable)
            # Small packages on few cores: Spark's 200 shuffle partitions cost more than they give.
            .config("spark.sql.shuffle.partitions", "8")
            # A local master runs its tasks in the driver's JVM: Spark's 1 GiB heap would spill
            # the persisted typed rows of a few million rows to disk. A ceiling, not a reservation.
            .config("spark.driver.memory", "4g")
        )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if not submitted and _on_this_machine(url):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: name the cause in one line
        raise CouldNotRun(
            f"could not start Spark at {url}: {str(exc).splitlines()[0] if str(exc) else exc!r}",
            hint="check --spark-master and that Java 17 runs (java -version)",
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark
