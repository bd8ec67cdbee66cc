DROP TABLE roadmap_item_dependencies;
DROP TABLE roadmap_items;
