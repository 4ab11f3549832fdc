#!/usr/bin/env python
"""Print the model-zoo tables (Markdown) from the metafiles.

One table per task (image classification, object detection) with every
model of ``model-index.yml``: name, config, parameters, GFLOPs, the paper's
result and its source, and (classification) the weights URI with the
result the authors report for those weights. docs/model_zoo.md holds
exactly this output, and each ``configs/<family>/README.md`` the table of
its family (``--family``); the tests check both.

Example::

    python tools/analysis/model_zoo_tables.py [--task "Object Detection"]
    python tools/analysis/model_zoo_tables.py --family ssd
"""
from mmiresnet.model_zoo import main

if __name__ == '__main__':
    main()
