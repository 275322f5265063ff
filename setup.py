"""File Transfer Harness: load and verify systems that receive files over HTTP(S) and SFTP."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "fth" / "__init__.py").read_text()).group(1)

setup(
    name="file-transfer-harness",
    version=VERSION,
    description="Load-test and verify file pipelines over HTTP(S) and SFTP, with MySQL tracking reports",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9",
    packages=find_packages(include=["fth", "fth.*", "fth_web", "fth_web.*"]),
    include_package_data=True,
    package_data={
        # example-config.yml and its sample-files/ ship in the package: `fth init` writes them out.
        "fth": ["report/templates/*", "py.typed", "example-config.yml", "sample-files/*"],
        "fth_web": ["templates/*", "templates/**/*", "static/*", "static/**/*", "example.env"],
    },
    install_requires=[
        # gevent 26 ships no wheels for Python 3.9 (RHEL 9's python3): stay on 25.x there.
        'gevent>=25.9.1,<26; python_version < "3.10"',
        'gevent>=25.9.1; python_version >= "3.10"',
        "requests>=2.28",
        "paramiko>=3.4",
        "pymysql>=1.1",
        "pyyaml>=6.0",
        "flask>=2.3",
        "jinja2>=3.1",
        "configargparse>=1.7",
        "colorlog>=6.7",
        # .env files for fth-web settings (seed 002); tiny, well kept, no dependencies.
        "python-dotenv>=1.0",
        # /metrics in the Prometheus text format (issue 14): the reference client, no dependencies.
        "prometheus-client>=0.17",
    ],
    extras_require={
        "test": ["pytest>=7.4", "pytest-timeout>=2.2", "hypothesis>=6.80", "playwright>=1.40", "cryptography>=41",
                 "ruff>=0.6",
                 # validates fth kube's manifests offline against the Kubernetes schemas it ships (issue 14)
                 "kubernetes-validate>=1.28",
                 # mutation score of the figure-making modules (bench/mutation.py, by hand, not in CI); needs 3.10+
                 'mutmut>=3.8; python_version >= "3.10"'],
    },
    entry_points={
        "console_scripts": [
            "fth = fth.main:fth_console",
            "fth-report = fth.main:report_console",
            "fth-web = fth.main:web_console",
            "fth-target = fth.main:target_console",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.13",
        "Operating System :: POSIX :: Linux",
        "Topic :: Software Development :: Testing :: Traffic Generation",
    ],
)
