"""Tasks: the rules of what an agent is asked to do, apart from the envs that run them, so that the question families
that train for a task (qa/nav.py) and the env (sat_env/envs/objectnav.py) share one definition."""
