package jango.kafka;
