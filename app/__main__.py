"""``python -m app`` runs the desktop client."""

from app.main import main

raise SystemExit(main())
